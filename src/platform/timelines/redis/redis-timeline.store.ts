import type { Redis, RedisOptions } from 'ioredis';
import { connect, type Connection } from '../../redis/index.js';
import { MAX_ID, checkEntry, checkId, checkInteger, normalize } from '../timeline.entries.js';
import type { TimelineEntry, TimelineStore } from '../timeline.port.js';
import { ENTRY_BYTES, decodeNewestFirst, encodeEntries, encodeId } from './codec.js';
import { scripts } from './scripts.js';

/** Options of the Redis store. */
export interface RedisTimelineStoreOptions {
  /** Entries kept per timeline (default 800, Mastodon's cap). */
  capacity?: number;
  /** Put before every key (default `tl:`): a timeline is `prefix + userId`, the count of timelines `prefix + 'count'`. */
  prefix?: string;
  /**
   * Entries that fell off the window and may stay in the string until one rewrite cuts them all
   * (default: an eighth of the capacity, rounded up). Measured with 800: one 12.8 kB rewrite costs
   * Redis ~25 µs, so 100 costs ~0.25 µs per delivery (on ~1 µs) for at most 12.5% more memory;
   * 400 costs ~0.06 µs for 50%; 0 rewrites on every push to a full timeline.
   */
  trimSlack?: number;
  /**
   * Options of the connection this store opens from a URL (ignored for a client passed in). The
   * default gives up on a command after one failed reconnection (`maxRetriesPerRequest: 1`), so
   * fan-outs and reads fail fast while Redis is down (the caller retries the job, or falls back
   * to the database) instead of queueing for ioredis's default 20 attempts.
   */
  redisOptions?: RedisOptions;
}

type ScriptCall = (...args: unknown[]) => Promise<unknown>;

/**
 * The shared home-timeline store: each timeline ONE Redis string of 16-byte entries (tweet id then
 * author id, big-endian), at most `capacity` of them: 12.8 kB for 800 entries, where a sorted set
 * would take several times that. Every operation is one atomic Lua script (EVALSHA via ioredis's
 * defineCommand, which resends the source on NOSCRIPT); a fan-out batch or a deletion batch is one
 * script over all its keys, so a batch costs one round trip.
 *
 * Entries are sorted OLDEST first, and the timeline is the last `capacity` of them: the newest
 * tweet, almost every push, is then a GETRANGE of the last id and an APPEND (~1.2 µs of Redis
 * time), where newest-first order would rewrite the whole 12.8 kB string per delivery (~40 µs
 * measured: about 25k deliveries/s). Entries that fall off stay before the window until
 * `trimSlack` of them gathered, then one SET cuts them. The capacity is thus part of the layout:
 * every store sharing a prefix must use the same (a changed one still reads sensibly: the window
 * is always the newest entries).
 *
 * An empty timeline is an existing zero-length string (Redis keeps it when SET explicitly), an
 * absent one no key: `range` tells them apart. Keys have no TTL: inactive users' timelines are
 * `drop`ped by the feed service, or evicted by Redis's maxmemory policy (then rebuilt on read).
 * Batches touch many keys in one script, so this targets one Redis (or one shard per batch).
 */
export class RedisTimelineStore implements TimelineStore {
  readonly capacity: number;
  readonly #redis: Redis;
  readonly #connection: Connection;
  readonly #prefix: string;
  readonly #countKey: string;
  readonly #capBytes: number;
  readonly #slackBytes: number;
  readonly #call: { readonly [K in keyof typeof scripts]: ScriptCall };

  /** `connection`: an ioredis client (left open by `close()`), or a URL to open one this store owns. */
  constructor(connection: Redis | string, options: RedisTimelineStoreOptions = {}) {
    this.capacity = checkInteger(options.capacity ?? 800, 'capacity', 1);
    this.#prefix = options.prefix ?? 'tl:';
    this.#countKey = `${this.#prefix}count`;
    this.#capBytes = this.capacity * ENTRY_BYTES;
    this.#slackBytes = checkInteger(options.trimSlack ?? Math.ceil(this.capacity / 8), 'trimSlack', 0) * ENTRY_BYTES;
    this.#connection = connect(connection, options.redisOptions);
    this.#redis = this.#connection.redis;
    const client = this.#redis as unknown as Record<string, ScriptCall | undefined>;
    const call = {} as Record<keyof typeof scripts, ScriptCall>;
    for (const name of Object.keys(scripts) as (keyof typeof scripts)[]) {
      const s = scripts[name];
      // Defining twice on a shared client is harmless: same name, same source.
      if (typeof client[s.command] !== 'function') {
        this.#redis.defineCommand(s.command, s.keys === null ? { lua: s.lua } : { numberOfKeys: s.keys, lua: s.lua });
      }
      // The *Buffer variant (made by defineCommand) returns binary replies untouched.
      call[name] = client[name === 'range' ? `${s.command}Buffer` : s.command]!.bind(this.#redis);
    }
    this.#call = call;
  }

  #key(userId: bigint): string {
    return `${this.#prefix}${userId}`;
  }

  async push(userIds: readonly bigint[], entry: TimelineEntry): Promise<void> {
    checkEntry(entry);
    if (userIds.length === 0) return;
    const record = encodeEntries([entry]);
    await this.#call.push(userIds.length, userIds.map((u) => this.#key(u)), record, this.#capBytes, this.#slackBytes);
  }

  async range(userId: bigint, limit: number, before?: bigint): Promise<TimelineEntry[] | null> {
    checkInteger(limit, 'limit', 0);
    // Past the largest id, `before` excludes nothing; at 0 or below it excludes everything.
    if (before !== undefined && typeof before !== 'bigint') throw new RangeError('before must be a bigint');
    if (before !== undefined && before > MAX_ID) before = undefined;
    if (before !== undefined && before <= 0n) limit = 0;
    const bound = before === undefined || before <= 0n ? '' : encodeId(before);
    const page = (await this.#call.range(this.#key(userId), Math.min(limit, this.capacity), bound, this.#capBytes)) as Buffer | null;
    return page === null ? null : decodeNewestFirst(page);
  }

  async replace(userId: bigint, entries: readonly TimelineEntry[]): Promise<void> {
    await this.#call.replace(this.#key(userId), this.#countKey, encodeEntries(normalize(entries, this.capacity).reverse()));
  }

  async removeTweet(userIds: readonly bigint[], tweetId: bigint): Promise<void> {
    checkId(tweetId, 'tweetId');
    if (userIds.length === 0) return;
    await this.#call.removeTweet(userIds.length, userIds.map((u) => this.#key(u)), encodeId(tweetId), this.#capBytes);
  }

  async removeAuthor(userId: bigint, authorId: bigint): Promise<void> {
    checkId(authorId, 'authorId');
    await this.#call.removeAuthor(this.#key(userId), encodeId(authorId), this.#capBytes);
  }

  async drop(userId: bigint): Promise<void> {
    await this.#call.drop(this.#key(userId), this.#countKey);
  }

  /** The counter kept by replace and drop: approximate if keys vanish otherwise (eviction, a DEL by hand). */
  async size(): Promise<number> {
    return Math.max(0, Number((await this.#redis.get(this.#countKey)) ?? 0));
  }

  async ping(): Promise<void> {
    await this.#redis.ping();
  }

  /** Quits the connection if this store opened it from a URL; a client passed in is left open. */
  async close(): Promise<void> {
    await this.#connection.close();
  }
}
