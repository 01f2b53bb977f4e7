export type { IdGenerator } from './id-generator.port.js';
export { SnowflakeIdGenerator, snowflakeTime, MAX_WORKER_ID } from './snowflake.id-generator.js';
