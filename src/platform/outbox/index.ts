export { addToOutbox, batchHandler, eventsOf, OutboxRelay, outboxMigrationsFor, type OutboxEvent, type OutboxRelayOptions } from './outbox.js';
