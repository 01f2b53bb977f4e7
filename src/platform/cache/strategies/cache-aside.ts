import type { CachePort } from '../cache.port.js';
import type { InvalidationBus } from './invalidation-bus.js';
import { SingleFlight } from './single-flight.js';

/** What a lookup found: a value, a remembered absence, or nothing (the source was asked). */
export type CacheLookup = 'hit' | 'negative_hit' | 'miss';

/** Loads the current value of a key from the source of truth; null when there is none. */
export type SourceLoader<V> = (key: string) => Promise<V | null>;

export interface CacheAsideOptions {
  cache: CachePort;
  /** Put before every key, so that several policies share one cache without meeting. */
  prefix: string;
  /** How long a loaded value is kept: the bound on staleness when an invalidation is missed. */
  ttlMs: number;
  /** How long "the source has no such key" is kept; 0 or absent disables negative caching. */
  negativeTtlMs?: number;
  /** Event invalidation: keys invalidated here are dropped by other instances, and theirs here. */
  bus?: InvalidationBus;
  /** Told the result of every lookup (for hit-ratio metrics). */
  onLookup?: (result: CacheLookup) => void;
  /** Told about failures that happen off the caller's path (dropping a key another instance invalidated). */
  onError?: (error: unknown) => void;
}

/** One running load; marked stale when its key is invalidated before it fills the cache. */
interface Flight {
  stale: boolean;
}

/**
 * Cache-aside (lazy loading). Read: the cache, else the source once per key however many callers
 * wait (single flight), then fill. Write: the source, then invalidate (never fill on write).
 *
 * Promise: once `write` or `invalidate` resolves, no read that starts afterwards in this process
 * returns the old value: the key is deleted, and a load that was already running is neither
 * joined nor allowed to fill the cache with what it read before the write. Other processes sharing
 * the cache see the delete; processes with caches of their own drop the key when the bus message
 * reaches them. Across processes one race remains (a load that read the source before a write
 * elsewhere may fill after that write's delete), and the TTL bounds it.
 */
export class CacheAside<V> {
  readonly #cache: CachePort;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #negativeTtlMs: number;
  readonly #bus: InvalidationBus | undefined;
  readonly #onLookup: (result: CacheLookup) => void;
  readonly #onError: (error: unknown) => void;
  readonly #singleFlight = new SingleFlight<string, V | null>();
  readonly #flights = new Map<string, Flight>();
  readonly #unsubscribe: () => void;

  constructor(options: CacheAsideOptions) {
    this.#cache = options.cache;
    this.#prefix = options.prefix;
    this.#ttlMs = options.ttlMs;
    this.#negativeTtlMs = options.negativeTtlMs ?? 0;
    this.#bus = options.bus;
    this.#onLookup = options.onLookup ?? (() => {});
    this.#onError = options.onError ?? (() => {});
    this.#unsubscribe = this.#bus?.subscribe((keys) => this.#dropRemote(keys)) ?? (() => {});
  }

  /** The value of `key`: from the cache, else from `load` (once per key at a time), then cached. */
  async get(key: string, load: SourceLoader<V>): Promise<V | null> {
    // A cache that fails is a cache that misses: the source answers (degraded, not down).
    const cached = await this.#cache.get<V | null>(this.#prefix + key).catch((error: unknown) => {
      this.#onError(error);
      return undefined;
    });
    if (cached !== undefined) {
      this.#onLookup(cached === null ? 'negative_hit' : 'hit');
      return cached;
    }
    this.#onLookup('miss');
    return this.#singleFlight.do(key, () => this.#loadAndFill(key, load));
  }

  /**
   * What the cache answers without waiting: the value, null for a remembered absence, or
   * undefined when that takes `get` (not held in this process, or a cache without `peek`).
   */
  peek(key: string): V | null | undefined {
    const cached = this.#cache.peek?.<V | null>(this.#prefix + key);
    if (cached !== undefined) this.#onLookup(cached === null ? 'negative_hit' : 'hit');
    return cached;
  }

  /** Writes to the source with `write`, then invalidates the key (even when the write failed part way). */
  async write<R>(key: string, write: () => Promise<R>): Promise<R> {
    try {
      return await write();
    } finally {
      await this.invalidate(key);
    }
  }

  /** Drops the key here and, through the bus, in the other instances. */
  async invalidate(key: string): Promise<void> {
    this.#supersede(key);
    // The source write is done: failing it now would report a committed change as failed. A copy
    // the cache could not drop lives until its TTL, the bound this strategy states.
    await this.#cache.delete(this.#prefix + key).catch(this.#onError);
    await this.#bus?.publish([key]).catch(this.#onError);
  }

  /**
   * Stores a value the caller has just written to the source (write-through): loads already
   * running for the key will not overwrite it; other instances drop their copy.
   */
  async put(key: string, value: V): Promise<void> {
    this.#supersede(key);
    await this.#cache.set(this.#prefix + key, value, this.#ttlMs);
    await this.#bus?.publish([key]);
  }

  /** Resolves once invalidations from other instances are received. */
  async ready(): Promise<void> {
    await this.#bus?.ready();
  }

  /** Stops listening to the bus (the cache itself belongs to the caller). */
  close(): void {
    this.#unsubscribe();
  }

  async #loadAndFill(key: string, load: SourceLoader<V>): Promise<V | null> {
    const flight: Flight = { stale: false };
    this.#flights.set(key, flight);
    try {
      const value = await load(key);
      // The check and the cache call stay in one turn, so an invalidation cannot slip between them.
      if (!flight.stale) {
        if (value !== null) await this.#cache.set(this.#prefix + key, value, this.#ttlMs).catch(this.#onError);
        else if (this.#negativeTtlMs > 0) await this.#cache.set(this.#prefix + key, null, this.#negativeTtlMs).catch(this.#onError);
      }
      return value;
    } finally {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    }
  }

  /** The key was written: a running load read the old value, so it must not fill or be joined. */
  #supersede(key: string): void {
    const flight = this.#flights.get(key);
    if (flight !== undefined) {
      flight.stale = true;
      this.#flights.delete(key);
    }
    this.#singleFlight.forget(key);
  }

  #dropRemote(keys: readonly string[]): void {
    for (const key of keys) {
      this.#supersede(key);
      this.#cache.delete(this.#prefix + key).catch(this.#onError);
    }
  }
}
