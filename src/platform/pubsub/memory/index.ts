export { MemoryPubSub, type MemoryPubSubOptions } from './memory-pubsub.js';
