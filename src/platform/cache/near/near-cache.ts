import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../clock/index.js';
import type { PubSubPort } from '../../pubsub/index.js';
import type { CachePort } from '../cache.port.js';
import { LruCacheAdapter } from '../memory/lru-cache.adapter.js';
import { SequenceTracker } from './sequence-tracker.js';

/** Options of a near cache. */
export interface NearCacheOptions {
  /** The shared cache behind (Redis). The near cache owns it: `close()` closes it. */
  remote: CachePort;
  /** The bus every near cache over the same remote shares; left open by `close()` (others use it too). */
  bus: PubSubPort;
  /** Channel of the invalidations (default `near-cache`): near caches over different remotes need different channels. */
  channel?: string;
  /** Entries kept in process (default 10,000), least recently used evicted first. */
  maxEntries?: number;
  /**
   * Longest an entry is served from process memory (default 5,000 ms): the bound on staleness when
   * an invalidation is lost and nothing reveals the loss (a process that died right after writing).
   */
  localTtlMs?: number;
  /**
   * A near cache that published nothing for this long publishes a heartbeat (default 1,000 ms), so
   * that peers notice, within about this delay after reconnecting, messages they missed.
   */
  heartbeatMs?: number;
  /** Reads entry deadlines (default the system clock); processes' clocks should agree within milliseconds. */
  clock?: Clock;
  /** Told about heartbeats that could not be published, invalidations that could not be read, and unreadable entries. */
  onError?: (error: unknown) => void;
}

/** Counters since construction, for metrics. */
export interface NearCacheStats {
  /** Reads answered from process memory. */
  localHits: number;
  /** Reads answered by the remote cache (then kept in process). */
  remoteHits: number;
  /** Reads that found nothing. */
  misses: number;
  /** Invalidations received from other near caches. */
  invalidations: number;
  /** Times the whole process memory was dropped because messages had been missed. */
  resets: number;
}

/** What the remote cache holds: the value and its absolute deadline, so that a reader knows how long it may keep it. */
interface Envelope {
  v: unknown;
  e: number;
}

/** What travels on the bus: origin, its sequence number, and the key written (absent in a heartbeat). */
interface Invalidation {
  o: string;
  s: number;
  k?: string;
}

/** A read of the remote in flight; `stale` once an invalidation or reset came while it was. */
interface Load {
  stale: boolean;
  promise: Promise<unknown>;
}

/**
 * A two-tier cache: an in-process LRU in front of a shared cache (Redis), kept coherent across
 * processes over pub/sub.
 *
 * - A `set` or `delete` goes to the remote first, then evicts the key here and publishes it; every
 *   other near cache on the bus evicts it when the message arrives. The writer reads its own write
 *   at once; others within a pub/sub delivery. Values are not pushed to peers: the next read loads.
 * - A read of the remote that was in flight when the key was invalidated is returned to its callers
 *   but not kept, so an old value read before a write never lands in memory after its eviction.
 *   Concurrent reads of one key share one remote read.
 * - Pub/sub loses messages published while a subscriber reconnects. Every message carries its
 *   origin's sequence number and quiet instances publish heartbeats, so a gap shows within about
 *   `heartbeatMs` after reconnection; then the whole in-process tier is dropped.
 * - Whatever else goes wrong, an entry is served from memory for at most `localTtlMs`, and never
 *   past the deadline it was written with.
 *
 * Remote entries are envelopes `{ v, e }` (value, deadline in epoch ms): write them only through
 * near caches.
 */
export class NearCache implements CachePort {
  readonly #remote: CachePort;
  readonly #bus: PubSubPort;
  readonly #channel: string;
  readonly #maxEntries: number;
  readonly #localTtlMs: number;
  readonly #clock: Clock;
  readonly #onError: (error: unknown) => void;
  readonly #origin = randomUUID();
  readonly #sequences: SequenceTracker;
  readonly #loads = new Map<string, Load>();
  readonly #unsubscribe: () => void;
  readonly #timer: NodeJS.Timeout;
  readonly #forgetAfterMs: number;
  readonly #stats: NearCacheStats = { localHits: 0, remoteHits: 0, misses: 0, invalidations: 0, resets: 0 };
  #local: LruCacheAdapter;
  #sent = 0;
  #publishedSinceTick = false;
  #heartbeatInFlight = false;
  #closed = false;

  constructor(options: NearCacheOptions) {
    this.#remote = options.remote;
    this.#bus = options.bus;
    this.#channel = options.channel ?? 'near-cache';
    this.#maxEntries = positiveInteger(options.maxEntries ?? 10_000, 'maxEntries');
    this.#localTtlMs = positiveInteger(options.localTtlMs ?? 5_000, 'localTtlMs');
    const heartbeatMs = positiveInteger(options.heartbeatMs ?? 1_000, 'heartbeatMs');
    this.#clock = options.clock ?? systemClock;
    this.#onError = options.onError ?? (() => {});
    this.#local = new LruCacheAdapter({ maxEntries: this.#maxEntries });
    this.#sequences = new SequenceTracker(this.#origin, this.#clock.now());
    // A peer silent this long has stopped; one that comes back is taken as new.
    this.#forgetAfterMs = Math.max(60_000, 20 * heartbeatMs);
    this.#unsubscribe = this.#bus.subscribe(this.#channel, (message) => this.#receive(message));
    this.#timer = setInterval(() => this.#tick(), heartbeatMs);
    this.#timer.unref();
  }

  /** Resolves once invalidations are received (the bus's subscription took effect). */
  async ready(): Promise<void> {
    await this.#bus.ready();
  }

  async get<T>(key: string): Promise<T | undefined> {
    const local = await this.#local.get<T>(key);
    if (local !== undefined) {
      this.#stats.localHits++;
      return local;
    }
    const value = await (this.#loads.get(key) ?? this.#load(key)).promise;
    if (value === undefined) this.#stats.misses++;
    else this.#stats.remoteHits++;
    return value as T | undefined;
  }

  peek<T>(key: string): T | undefined {
    const local = this.#local.peek<T>(key);
    if (local !== undefined) this.#stats.localHits++;
    return local;
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) throw new RangeError(`cache TTL must be a positive number of ms, got ${String(ttlMs)}`);
    if (value === undefined) throw new TypeError('a cached value must be JSON-serialisable');
    const envelope: Envelope = { v: value, e: this.#clock.now() + ttlMs };
    await this.#write(key, () => this.#remote.set(key, envelope, ttlMs));
  }

  async delete(key: string): Promise<void> {
    await this.#write(key, () => this.#remote.delete(key));
  }

  async ping(): Promise<void> {
    await Promise.all([this.#remote.ping(), this.#bus.ping()]);
  }

  /** Stops listening and heartbeats, drops process memory and closes the remote cache; the bus stays open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#unsubscribe();
    this.#dropLocal();
    await this.#remote.close();
  }

  /** A copy of the counters. */
  stats(): NearCacheStats {
    return { ...this.#stats };
  }

  /**
   * The remote write, then the eviction here and the message to peers. A failed write may still
   * have landed (a timeout after sending), so peers are told all the same, and the write's error
   * is the one the caller gets.
   */
  async #write(key: string, write: () => Promise<void>): Promise<void> {
    if (this.#closed) throw new Error('near cache is closed');
    try {
      await write();
    } catch (error) {
      this.#evict(key);
      this.#publish(key).catch(this.#onError);
      throw error;
    }
    this.#evict(key);
    await this.#publish(key);
  }

  #load(key: string): Load {
    const local = this.#local;
    const load: Load = { stale: false, promise: Promise.resolve(undefined) };
    load.promise = (async () => {
      try {
        const found = this.#open(key, await this.#remote.get<unknown>(key));
        if (found !== undefined && !load.stale) await local.set(key, found.value, found.keepMs);
        return found?.value;
      } finally {
        if (this.#loads.get(key) === load) this.#loads.delete(key);
      }
    })();
    this.#loads.set(key, load);
    return load;
  }

  /** The value of an envelope and how long it may stay in memory; undefined when absent or past its deadline. */
  #open(key: string, envelope: unknown): { value: unknown; keepMs: number } | undefined {
    if (envelope === undefined) return undefined;
    if (typeof envelope !== 'object' || envelope === null || typeof (envelope as Envelope).e !== 'number' || !('v' in envelope)) {
      this.#onError(new Error(`near cache: the remote entry of ${JSON.stringify(key)} is not a near-cache envelope`));
      return undefined;
    }
    const { v, e } = envelope as Envelope;
    // lru-cache takes whole milliseconds; an entry due within one is as good as gone.
    const remaining = Math.floor(e - this.#clock.now());
    return remaining < 1 ? undefined : { value: v, keepMs: Math.min(this.#localTtlMs, remaining) };
  }

  #evict(key: string): void {
    void this.#local.delete(key);
    const load = this.#loads.get(key);
    if (load !== undefined) {
      load.stale = true;
      // Reads from now on must not join a read that may predate the write.
      this.#loads.delete(key);
    }
  }

  #dropLocal(): void {
    const old = this.#local;
    this.#local = new LruCacheAdapter({ maxEntries: this.#maxEntries });
    void old.close();
    for (const load of this.#loads.values()) load.stale = true;
    this.#loads.clear();
  }

  /** Numbers and sends one message; the number is taken even if sending fails, so that peers see the gap. */
  #publish(key?: string): Promise<void> {
    const message: Invalidation = key === undefined ? { o: this.#origin, s: ++this.#sent } : { o: this.#origin, s: ++this.#sent, k: key };
    this.#publishedSinceTick = true;
    return this.#bus.publish(this.#channel, message);
  }

  #tick(): void {
    this.#sequences.forgetSilentSince(this.#clock.now() - this.#forgetAfterMs);
    const quiet = !this.#publishedSinceTick;
    this.#publishedSinceTick = false;
    // One heartbeat at a time: while the bus is down they fail slowly, and would pile up.
    if (!quiet || this.#heartbeatInFlight || this.#closed) return;
    this.#heartbeatInFlight = true;
    this.#publish()
      .catch(this.#onError)
      .finally(() => (this.#heartbeatInFlight = false));
  }

  #receive(message: unknown): void {
    if (this.#closed) return;
    if (!isInvalidation(message)) {
      this.#onError(new Error('near cache: an unreadable invalidation was ignored'));
      return;
    }
    if (!this.#sequences.accept(message.o, message.s, this.#clock.now())) {
      this.#stats.resets++;
      this.#dropLocal();
    }
    // This instance evicted its own keys when it wrote them.
    if (message.k !== undefined && message.o !== this.#origin) {
      this.#stats.invalidations++;
      this.#evict(message.k);
    }
  }
}

function isInvalidation(m: unknown): m is Invalidation {
  if (typeof m !== 'object' || m === null) return false;
  const { o, s, k } = m as Partial<Invalidation>;
  return typeof o === 'string' && Number.isSafeInteger(s) && (s as number) > 0 && (k === undefined || typeof k === 'string');
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`near cache: ${name} must be a positive integer, got ${String(value)}`);
  return value;
}
