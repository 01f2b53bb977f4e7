export { addToOutbox, OutboxRelay, outboxMigrations, outboxMigrationsFor, type OutboxEvent, type OutboxRelayOptions } from './outbox.js';
