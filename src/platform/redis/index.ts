export { RedisClients, type RedisClientsOptions, type RedisConnectionState } from './redis-clients.js';
