export { RedisPubSub, type RedisPubSubOptions } from './redis-pubsub.js';
