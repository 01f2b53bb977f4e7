export type { PubSubHandler, PubSubPort } from './pubsub.port.js';
