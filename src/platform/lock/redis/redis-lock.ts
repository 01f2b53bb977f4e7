import { randomBytes } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import { checkName, checkTtl } from '../lock.checks.js';
import type { Lease, LockPort } from '../lock.port.js';
import { connect, type Connection } from '../../redis/index.js';
import { bindScripts, type ScriptCall } from './scripts.js';

/** Options of the Redis lock. */
export interface RedisLockOptions {
  /** Put before every key (default `lock:`). */
  prefix?: string;
  /** Options of the connection opened from a URL (ignored for a client passed in); see `connect`. */
  redisOptions?: RedisOptions;
}

/**
 * The shared lock, on one Redis (a single instance or a primary; not Redlock over several).
 * A lock is the key `prefix{name}` holding its holder's random token, set with `NX PX` so that it
 * expires by itself; its fence counter is `prefix{name}:fence`, incremented in the same script.
 * The braces put both keys in one Cluster slot. Release and extension compare the token and act
 * in one script, so a holder whose lease ended never deletes or prolongs its successor's.
 *
 * Fence counters never expire, and must not be lost: with a maxmemory policy that may evict keys
 * without a TTL (allkeys-*), a counter could restart below the fences a resource has seen, and
 * every write would be refused until it caught up. Keep such a Redis on noeviction or volatile-*.
 * Replication is asynchronous: a failover may lose a lock just taken (its fence too, with the same
 * consequence), which is what the fencing of writes is there to make harmless.
 */
export class RedisLock implements LockPort {
  readonly #connection: Connection;
  readonly #prefix: string;
  readonly #call: Record<'acquire' | 'release' | 'extend', ScriptCall>;

  /** `connection`: an ioredis client (left open by `close()`), or a URL to open one this lock owns. */
  constructor(connection: Redis | string, options: RedisLockOptions = {}) {
    this.#prefix = options.prefix ?? 'lock:';
    this.#connection = connect(connection, options.redisOptions);
    this.#call = bindScripts(this.#connection.redis, ['acquire', 'release', 'extend']);
  }

  async tryAcquire(name: string, ttlMs: number): Promise<Lease | undefined> {
    const key = this.#key(checkName(name));
    const token = randomBytes(16).toString('hex');
    const fence = await this.#call.acquire(key, `${key}:fence`, token, checkTtl(ttlMs));
    return fence === null ? undefined : { name, token, fence: Number(fence) };
  }

  async release(lease: Lease): Promise<boolean> {
    return (await this.#call.release(this.#key(checkName(lease.name)), lease.token)) === 1;
  }

  async extend(lease: Lease, ttlMs: number): Promise<boolean> {
    return (await this.#call.extend(this.#key(checkName(lease.name)), lease.token, checkTtl(ttlMs))) === 1;
  }

  async ping(): Promise<void> {
    await this.#connection.redis.ping();
  }

  /** Quits the connection if this lock opened it from a URL; a client passed in is left open. */
  async close(): Promise<void> {
    await this.#connection.close();
  }

  #key(name: string): string {
    return `${this.#prefix}{${name}}`;
  }
}
