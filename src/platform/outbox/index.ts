export { addToOutbox, batchHandler, eventsOf, OutboxRelay, outboxMigrations, outboxMigrationsFor, type OutboxEvent, type OutboxRelayOptions } from './outbox.js';
