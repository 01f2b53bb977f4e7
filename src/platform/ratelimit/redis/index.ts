export { RedisRateLimitStore, type RedisRateLimitStoreOptions } from './redis-ratelimit.store.js';
