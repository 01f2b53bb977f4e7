import { Redis, type RedisOptions } from 'ioredis';
import { HandlerSet } from '../handler-set.js';
import type { PubSubHandler, PubSubPort } from '../pubsub.port.js';

export interface RedisPubSubOptions {
  /**
   * Put before every channel name (default `ps:`). Redis channels are server-wide, whatever the
   * database number: the prefix is what keeps deployments sharing a server apart.
   */
  prefix?: string;
  /**
   * Options of both connections. The default gives up on a command after one failed reconnection
   * (`maxRetriesPerRequest: 1`), so a publish fails fast while Redis is down instead of waiting
   * for ioredis's default 20 attempts; live messages are best effort anyway.
   */
  redisOptions?: RedisOptions;
  /** Told about connection errors, unreadable messages and handlers that throw. */
  onError?: (error: unknown) => void;
}

/**
 * Redis PUBLISH/SUBSCRIBE. A connection that subscribes can do nothing else, so subscriptions get a
 * dedicated one; publishing goes through the other. Channels are subscribed again on every
 * (re)connection ('ready'), including one whose SUBSCRIBE was lost to an outage; messages
 * published while the subscriber was disconnected are lost, as pub/sub promises nothing more.
 */
export class RedisPubSub implements PubSubPort {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  readonly #handlers: HandlerSet;
  readonly #onError: (error: unknown) => void;
  readonly #pending = new Set<Promise<unknown>>();
  #closed = false;

  /**
   * `connection`: a URL, or a factory that opens a client with the given options (e.g. from the
   * process's RedisClients); either way both clients are this pub/sub's own and `close()` quits them.
   */
  constructor(connection: string | ((role: 'publisher' | 'subscriber', options: RedisOptions) => Redis), options: RedisPubSubOptions = {}) {
    this.#prefix = options.prefix ?? 'ps:';
    this.#onError = options.onError ?? (() => {});
    this.#handlers = new HandlerSet(this.#onError);
    const redisOptions: RedisOptions = { maxRetriesPerRequest: 1, ...options.redisOptions };
    const open = typeof connection === 'string' ? (_role: string, o: RedisOptions) => new Redis(connection, o) : connection;
    this.#publisher = open('publisher', redisOptions);
    this.#subscriber = open('subscriber', { ...redisOptions, autoResubscribe: false });
    // Without a listener ioredis prints every connection error itself.
    this.#publisher.on('error', (error: unknown) => this.#onError(error));
    this.#subscriber.on('error', (error: unknown) => this.#onError(error));
    this.#subscriber.on('message', (channel: string, text: string) => this.#receive(channel, text));
    this.#subscriber.on('ready', () => {
      const channels = this.#handlers.channels();
      if (channels.length > 0) this.#track(this.#subscriber.subscribe(...channels.map((c) => this.#prefix + c)));
    });
  }

  async publish(channel: string, message: unknown): Promise<void> {
    if (this.#closed) throw new Error('pub/sub is closed');
    const json = JSON.stringify(message);
    if (json === undefined) throw new TypeError('a pub/sub message must be JSON-serialisable');
    await this.#publisher.publish(this.#prefix + channel, json);
  }

  subscribe(channel: string, handler: PubSubHandler): () => void {
    if (this.#closed) return () => {};
    const { first, remove } = this.#handlers.add(channel, handler);
    // Never throws: with the offline queue off, ioredis throws at once while Redis is unreachable;
    // the handler stays registered and the 'ready' listener subscribes it once Redis is back.
    if (first) this.#track(attempt(() => this.#subscriber.subscribe(this.#prefix + channel)));
    return () => {
      if (remove() && !this.#closed) this.#track(attempt(() => this.#subscriber.unsubscribe(this.#prefix + channel)));
    };
  }

  async ready(): Promise<void> {
    const results = await Promise.allSettled([...this.#pending]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  async ping(): Promise<void> {
    await this.#publisher.ping();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers.clear();
    await Promise.all([this.#subscriber, this.#publisher].map((c) => c.quit().then(() => undefined, () => c.disconnect())));
  }

  /** Keeps a (un)subscribe in flight for `ready`; its failure is reported, not thrown. */
  #track(command: Promise<unknown>): void {
    const tracked = command.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
    tracked.catch((error: unknown) => {
      if (!this.#closed) this.#onError(error);
    });
  }

  #receive(prefixed: string, text: string): void {
    if (!prefixed.startsWith(this.#prefix)) return;
    const channel = prefixed.slice(this.#prefix.length);
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (error) {
      this.#onError(error);
      return;
    }
    this.#handlers.dispatch(channel, message);
  }
}

/** A command's promise, rejected rather than thrown when the client refuses it at once. */
function attempt(command: () => Promise<unknown>): Promise<unknown> {
  try {
    return command();
  } catch (error) {
    return Promise.reject(error);
  }
}
