import { BroadcastChannel } from 'node:worker_threads';
import { HandlerSet } from '../handler-set.js';
import type { PubSubHandler, PubSubPort } from '../pubsub.port.js';

export interface MemoryPubSubOptions {
  /**
   * Instances of one process with the same namespace share messages, whatever thread they live
   * in; give each deployment sharing a process (tests) its own, e.g. its data directory.
   */
  namespace?: string;
  /** Told about handlers that throw. */
  onError?: (error: unknown) => void;
}

/** What travels between threads: the channel and the JSON text of the message. */
type Envelope = [channel: string, json: string];

/**
 * The embedded bus: a node:worker_threads BroadcastChannel reaches every thread of the process,
 * so the API thread sees what consumers on the worker thread publish. Messages are sent as JSON
 * text (the Redis adapter's semantics: Dates become strings, undefined members vanish), parsed once
 * per receiving instance. Two BroadcastChannel objects per instance: one posts, one listens, so an
 * instance receives its own messages by the same path and in the same order as everyone else's.
 */
export class MemoryPubSub implements PubSubPort {
  readonly #handlers: HandlerSet;
  readonly #out: BroadcastChannel;
  readonly #in: BroadcastChannel;
  readonly #onError: (error: unknown) => void;
  #closed = false;

  constructor(options: MemoryPubSubOptions = {}) {
    this.#onError = options.onError ?? (() => {});
    this.#handlers = new HandlerSet(this.#onError);
    const name = `blueprint.pubsub:${options.namespace ?? 'default'}`;
    this.#out = new BroadcastChannel(name);
    this.#in = new BroadcastChannel(name);
    this.#in.onmessage = (event: unknown) => this.#receive((event as { data: unknown }).data);
    // A bus never keeps a process alive by itself.
    this.#out.unref();
    this.#in.unref();
  }

  async publish(channel: string, message: unknown): Promise<void> {
    if (this.#closed) throw new Error('pub/sub is closed');
    const json = JSON.stringify(message);
    if (json === undefined) throw new TypeError('a pub/sub message must be JSON-serialisable');
    this.#out.postMessage([channel, json] satisfies Envelope);
  }

  subscribe(channel: string, handler: PubSubHandler): () => void {
    if (this.#closed) return () => {};
    const { remove } = this.#handlers.add(channel, handler);
    return () => void remove();
  }

  async ready(): Promise<void> {
    // Handlers are registered synchronously; the channel listens from construction.
  }

  async ping(): Promise<void> {
    if (this.#closed) throw new Error('pub/sub is closed');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers.clear();
    this.#in.close();
    this.#out.close();
  }

  #receive(data: unknown): void {
    if (!Array.isArray(data) || typeof data[0] !== 'string' || typeof data[1] !== 'string') return;
    const [channel, json] = data as Envelope;
    if (!this.#handlers.has(channel)) return;
    let message: unknown;
    try {
      message = JSON.parse(json);
    } catch (error) {
      this.#onError(error);
      return;
    }
    this.#handlers.dispatch(channel, message);
  }
}
