export { RedisClients, type RedisClientsOptions, type RedisConnectionState } from './redis-clients.js';
export { connect, type Connection } from './owned-connection.js';
