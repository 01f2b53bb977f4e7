import type { Redis, RedisOptions } from 'ioredis';
import { connect, type Connection } from '../../redis/index.js';
import type { CachePort } from '../cache.port.js';

/** Options of the Redis cache. */
export interface RedisCacheOptions {
  /** Put before every key (default `cache:`), so that deployments and caches can share a server. */
  prefix?: string;
  /**
   * Options of the connection this cache opens from a URL (ignored for a client passed in). The
   * default gives up on a command after one failed reconnection (`maxRetriesPerRequest: 1`), so a
   * lookup fails fast while Redis is down and the caller falls back to its source of truth,
   * instead of queueing for ioredis's default 20 attempts.
   */
  redisOptions?: RedisOptions;
}

/**
 * The shared cache: each entry one Redis string holding the value's JSON text, with a PX expiry,
 * so every process behind the same Redis sees the same entries and Redis alone expires them.
 * Values come back as JSON gives them (a Date becomes a string, undefined members vanish), a copy
 * on every read. Unreachable Redis and unreadable entries reach callers as rejections.
 */
export class RedisCacheAdapter implements CachePort {
  readonly #redis: Redis;
  readonly #connection: Connection;
  readonly #prefix: string;

  /** `connection`: an ioredis client (left open by `close()`), or a URL to open one this cache owns. */
  constructor(connection: Redis | string, options: RedisCacheOptions = {}) {
    this.#prefix = options.prefix ?? 'cache:';
    this.#connection = connect(connection, options.redisOptions);
    this.#redis = this.#connection.redis;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const text = await this.#redis.get(this.#prefix + key);
    return text === null ? undefined : (JSON.parse(text) as T);
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    const json = JSON.stringify(value);
    if (json === undefined) throw new TypeError('a cached value must be JSON-serialisable');
    await this.#redis.set(this.#prefix + key, json, 'PX', pxOf(ttlMs));
  }

  async delete(key: string): Promise<void> {
    await this.#redis.del(this.#prefix + key);
  }

  async ping(): Promise<void> {
    await this.#redis.ping();
  }

  /** Quits the connection if this cache opened it from a URL; a client passed in is left open. */
  async close(): Promise<void> {
    await this.#connection.close();
  }
}

/** PX takes whole positive milliseconds: a fraction rounds up, so an entry never lives shorter than asked. */
function pxOf(ttlMs: number): number {
  if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) throw new RangeError(`cache TTL must be a positive number of ms, got ${String(ttlMs)}`);
  return Math.ceil(ttlMs);
}
