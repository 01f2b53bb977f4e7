export { addToOutbox, OutboxRelay, outboxMigrations, type OutboxEvent, type OutboxRelayOptions } from './outbox.js';
