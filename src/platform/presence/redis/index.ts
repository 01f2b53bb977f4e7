export { RedisPresenceRegistry, type RedisPresenceOptions } from './redis-presence.js';
