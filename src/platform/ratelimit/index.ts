/**
 * Rate limiting: the port, the algorithm names, and the in-process store. The Redis store is
 * exported from ./redis/index.ts, for the composition root alone.
 */
export type { RateLimitAlgorithm, RateLimitDecision, RateLimitRule, RateLimitStore } from './ratelimit.port.js';
export { ratelimitAlgorithms } from './algorithms/index.js';
export { NEVER } from './algorithms/step.js';
export { MemoryRateLimitStore, type MemoryRateLimitStoreOptions } from './memory/memory-ratelimit.store.js';
