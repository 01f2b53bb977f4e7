export { loadConfig, ConfigError } from './config.load.js';
export { ConfigSchema, type Config, type ConfigInput, type RateLimitPolicyConfig } from './config.schema.js';
