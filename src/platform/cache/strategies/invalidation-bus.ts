import { randomUUID } from 'node:crypto';
import type { PubSubPort } from '../../pubsub/index.js';

/** What travels on the channel: who sent it (to skip one's own) and the keys to drop. */
interface InvalidationMessage {
  o: string;
  k: readonly string[];
}

function isInvalidation(message: unknown): message is InvalidationMessage {
  const m = message as Partial<InvalidationMessage> | null;
  return typeof m === 'object' && m !== null && typeof m.o === 'string' && Array.isArray(m.k) && m.k.every((k) => typeof k === 'string');
}

/**
 * Event-based invalidation: a cache instance that writes tells every other instance on the
 * channel which keys to drop. Delivery is pub/sub's: live and at most once, so an instance that
 * was disconnected when a message went out keeps its entry until the TTL ends it; that is why
 * every entry still has a TTL. Give each cache instance its own bus object: a bus skips the
 * messages it published itself (its instance has already dropped those keys). Keys published
 * while the same turn's promise continuations run leave as one message (fifty creations whose
 * group commit resolved together: one message instead of fifty, each parsed by every listener).
 */
export class InvalidationBus {
  readonly #pubsub: PubSubPort;
  readonly #channel: string;
  readonly #origin = randomUUID();
  /** Keys waiting for this turn's message, and its sending. */
  #batch: { keys: string[]; sent: Promise<void> } | undefined;

  constructor(pubsub: PubSubPort, channel: string) {
    this.#pubsub = pubsub;
    this.#channel = channel;
  }

  /** Tells the other instances to drop `keys`; resolves once the bus has taken the message. */
  publish(keys: readonly string[]): Promise<void> {
    if (this.#batch === undefined) {
      const batch = { keys: [] as string[], sent: Promise.resolve() };
      // process.nextTick runs once the microtasks queued so far have run: every continuation
      // that resolved with this one adds its keys first.
      batch.sent = new Promise<void>((resolve) => process.nextTick(resolve)).then(() => {
        this.#batch = undefined;
        return this.#pubsub.publish(this.#channel, { o: this.#origin, k: batch.keys } satisfies InvalidationMessage);
      });
      this.#batch = batch;
    }
    this.#batch.keys.push(...keys);
    return this.#batch.sent;
  }

  /** Calls `handler` with the keys other instances invalidate; returns the function that stops it. */
  subscribe(handler: (keys: readonly string[]) => void): () => void {
    return this.#pubsub.subscribe(this.#channel, (message) => {
      if (isInvalidation(message) && message.o !== this.#origin) handler(message.k);
    });
  }

  /** Resolves once subscriptions made so far receive messages. */
  ready(): Promise<void> {
    return this.#pubsub.ready();
  }
}
