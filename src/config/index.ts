export { loadConfig, ConfigError } from './config.load.js';
export { ConfigSchema, type Config, type ConfigInput, type ProcessRole, type RateLimitPolicyConfig, type UpstreamConfig } from './config.schema.js';
