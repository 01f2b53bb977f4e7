export { RedisTimelineStore, type RedisTimelineStoreOptions } from './redis-timeline.store.js';
