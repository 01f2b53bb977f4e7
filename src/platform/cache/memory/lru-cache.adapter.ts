import { LRUCache } from 'lru-cache';
import type { CachePort } from '../cache.port.js';

export interface LruCacheOptions {
  /** Entries kept before the least recently used is evicted. */
  maxEntries: number;
}

/** The embedded cache: a bounded in-process LRU with per-entry TTL. */
export class LruCacheAdapter implements CachePort {
  // lru-cache refuses undefined/null values, so they are boxed; a miss is `undefined`.
  readonly #lru: LRUCache<string, { v: unknown }>;

  constructor(options: LruCacheOptions) {
    this.#lru = new LRUCache({ max: options.maxEntries, ttlAutopurge: false });
  }

  async get<T>(key: string): Promise<T | undefined> {
    return this.#lru.get(key)?.v as T | undefined;
  }

  peek<T>(key: string): T | undefined {
    return this.#lru.get(key)?.v as T | undefined;
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    this.#lru.set(key, { v: value }, { ttl: ttlMs });
  }

  async delete(key: string): Promise<void> {
    this.#lru.delete(key);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#lru.clear();
  }
}
