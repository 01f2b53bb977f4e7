/**
 * Caching: the port, the in-process LRU and the two-tier near cache (an LRU in front of any cache,
 * invalidated over pub/sub). The Redis cache is exported from ./redis/index.ts, for the
 * composition root alone.
 */
export type { CachePort } from './cache.port.js';
export { LruCacheAdapter, type LruCacheOptions } from './memory/lru-cache.adapter.js';
export { NearCache, type NearCacheOptions, type NearCacheStats } from './near/near-cache.js';
export * from './strategies/index.js';
