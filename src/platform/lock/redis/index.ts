export { RedisLock, type RedisLockOptions } from './redis-lock.js';
export { RedisFencedStore, type RedisFencedStoreOptions } from './redis-fenced-store.js';
