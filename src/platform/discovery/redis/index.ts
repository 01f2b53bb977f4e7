export { RedisServiceRegistry } from './redis-registry.js';
