export type { CachePort } from './cache.port.js';
