export { loadConfig, ConfigError } from './config.load.js';
export { ConfigSchema, type Config, type ConfigInput } from './config.schema.js';
