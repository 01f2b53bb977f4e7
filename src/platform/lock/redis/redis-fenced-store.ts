import type { Redis, RedisOptions } from 'ioredis';
import { checkFence, jsonOf } from '../lock.checks.js';
import type { FencedStore, FencedValue } from '../lock.port.js';
import { connect, type Connection } from '../../redis/index.js';
import { bindScripts, type ScriptCall } from './scripts.js';

/** Options of the Redis fenced store. */
export interface RedisFencedStoreOptions {
  /** Put before every key (default `fenced:`). */
  prefix?: string;
  /** Options of the connection opened from a URL (ignored for a client passed in); see `connect`. */
  redisOptions?: RedisOptions;
}

/**
 * A fenced resource in Redis: each resource one hash of `fence` (the highest accepted) and `value`
 * (the JSON of the last accepted write), compared and set in one script. Keys have no TTL.
 */
export class RedisFencedStore implements FencedStore {
  readonly #connection: Connection;
  readonly #prefix: string;
  readonly #call: Record<'fencedWrite', ScriptCall>;

  /** `connection`: an ioredis client (left open by `close()`), or a URL to open one this store owns. */
  constructor(connection: Redis | string, options: RedisFencedStoreOptions = {}) {
    this.#prefix = options.prefix ?? 'fenced:';
    this.#connection = connect(connection, options.redisOptions);
    this.#call = bindScripts(this.#connection.redis, ['fencedWrite']);
  }

  async write<T>(resource: string, fence: number, value: T): Promise<boolean> {
    return (await this.#call.fencedWrite(this.#prefix + resource, checkFence(fence), jsonOf(value))) === 1;
  }

  async read<T>(resource: string): Promise<FencedValue<T> | undefined> {
    const [fence, json] = await this.#connection.redis.hmget(this.#prefix + resource, 'fence', 'value');
    return fence === null || fence === undefined || json === null || json === undefined ? undefined : { value: JSON.parse(json) as T, fence: Number(fence) };
  }

  /** Quits the connection if this store opened it from a URL; a client passed in is left open. */
  async close(): Promise<void> {
    await this.#connection.close();
  }
}
