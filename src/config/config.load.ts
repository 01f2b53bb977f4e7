import { Value } from '@sinclair/typebox/value';
import { FormatRegistry } from '@sinclair/typebox';
import { ConfigSchema, type Config, type ConfigInput } from './config.schema.js';

if (!FormatRegistry.Has('uri')) {
  FormatRegistry.Set('uri', (v) => URL.canParse(v));
}

/** Thrown when the environment does not satisfy the schema; lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const splitList = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

/**
 * Reads the configuration from environment variables (only the ones the schema knows), fills
 * defaults, converts types, and validates. Every invalid variable is reported in one error.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<ConfigInput> = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(ConfigSchema.properties)) {
    const v = env[key];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  Object.assign(raw, overrides);
  const withDefaults = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, raw));
  const problems = [...Value.Errors(ConfigSchema, withDefaults)].map((e) => {
    const name = e.path.replace(/^\//, '');
    const given = raw[name];
    return `${name}: ${e.message}${given === undefined ? '' : ` (got ${JSON.stringify(given)})`}`;
  });
  const input = withDefaults as ConfigInput;
  if (problems.length === 0 && input.KEY_POOL_LOW_WATERMARK >= input.KEY_POOL_SIZE) {
    problems.push('KEY_POOL_LOW_WATERMARK: must be below KEY_POOL_SIZE');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config: Config = {
    ...input,
    PUBLIC_URL: (input.PUBLIC_URL ?? `http://localhost:${input.PORT}`).replace(/\/+$/, ''),
    trustedProxies: splitList(input.TRUST_PROXY),
    reservedWords: splitList(input.LINK_RESERVED_WORDS).map((w) => w.toLowerCase()),
  };
  return Object.freeze(config);
}
