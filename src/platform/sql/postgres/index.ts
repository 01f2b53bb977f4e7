export { PostgresDatabase, type PostgresOptions } from './postgres-database.js';
