export { RedisCacheAdapter, type RedisCacheOptions } from './redis-cache.adapter.js';
