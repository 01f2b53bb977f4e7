import { Redis, type RedisOptions } from 'ioredis';

/** A connection's state changes: `up` once ready, `lost` when a ready connection drops (ioredis then reconnects). */
export type RedisConnectionState = 'up' | 'lost';

export interface RedisClientsOptions {
  url: string;
  /** Shown by `CLIENT LIST` as `<name>:<client>`, to tell processes and uses apart (default `blueprint`). */
  name?: string;
  /** Told about every client's state changes (metrics); never about a close asked for. */
  onState?: (client: string, state: RedisConnectionState) => void;
}

/**
 * The Redis connections of one process, opened from one URL: each use (cache, timelines, rate
 * limits, pub/sub) gets a client of its own, so that a slow Lua script of one never queues
 * another's commands. While a client is disconnected its commands fail at once
 * (`enableOfflineQueue: false`) instead of waiting for a reconnection that may take seconds, so
 * callers on the request path fall back to the database, or fail open, without delay; `ready()`
 * waits for the first connections at start. `close()` quits them all.
 */
export class RedisClients {
  readonly #url: string;
  readonly #name: string;
  readonly #onState: (client: string, state: RedisConnectionState) => void;
  readonly #open = new Set<Redis>();

  constructor(options: RedisClientsOptions) {
    this.#url = options.url;
    this.#name = options.name ?? 'blueprint';
    const onState = options.onState ?? (() => {});
    this.#onState = (client, state) => {
      try {
        onState(client, state);
      } catch {
        // An observer must not break reconnection.
      }
    };
  }

  /** A new client named `client`; its owner may quit it, else `close()` does. */
  open(client: string, options: RedisOptions = {}): Redis {
    const redis = new Redis(this.#url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectionName: `${this.#name}:${client}`, ...options });
    this.#open.add(redis);
    // Failures reach callers as rejections; without a listener ioredis logs each one.
    redis.on('error', () => {});
    let ready = false;
    redis.on('ready', () => {
      ready = true;
      this.#onState(client, 'up');
    });
    // 'reconnecting' follows only an unasked-for close: a quit ends with 'end' instead.
    redis.on('reconnecting', () => {
      if (!ready) return;
      ready = false;
      this.#onState(client, 'lost');
    });
    redis.on('end', () => this.#open.delete(redis));
    return redis;
  }

  /** Resolves once every client opened so far is connected; rejects past `timeoutMs`, naming those that are not. */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const waiting = [...this.#open].filter((redis) => redis.status !== 'ready');
      if (waiting.length === 0) return;
      if (Date.now() >= deadline) throw new Error(`Redis not connected within ${timeoutMs} ms: ${waiting.map((r) => r.options.connectionName).join(', ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Quits every client still open (a client still reconnecting is dropped). */
  async close(): Promise<void> {
    await Promise.all(
      [...this.#open].map(async (redis) => {
        this.#open.delete(redis);
        if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
        else redis.disconnect();
      }),
    );
  }
}
