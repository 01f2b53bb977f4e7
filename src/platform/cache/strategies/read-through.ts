import { CacheAside, type CacheAsideOptions, type SourceLoader } from './cache-aside.js';

export interface ReadThroughOptions<V> extends CacheAsideOptions {
  /** The source of truth, owned by the cache object: callers never see it. */
  load: SourceLoader<V>;
}

/**
 * Read-through: the cache object owns the loader, so callers ask only the cache. Same promise as
 * cache-aside (one load per key at a time, no stale fill after an invalidation, TTL as the bound
 * otherwise); what changes is who knows about the source.
 */
export class ReadThrough<V> {
  readonly #aside: CacheAside<V>;
  readonly #load: SourceLoader<V>;

  constructor(options: ReadThroughOptions<V>) {
    this.#aside = new CacheAside<V>(options);
    this.#load = options.load;
  }

  /** The value of `key`, loaded from the source on a miss; null when the source has none. */
  get(key: string): Promise<V | null> {
    return this.#aside.get(key, this.#load);
  }

  /** Drops the key (here and, with a bus, elsewhere) after the source changed. */
  invalidate(key: string): Promise<void> {
    return this.#aside.invalidate(key);
  }

  ready(): Promise<void> {
    return this.#aside.ready();
  }

  close(): void {
    this.#aside.close();
  }
}
