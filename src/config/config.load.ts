import { Value } from '@sinclair/typebox/value';
import { FormatRegistry } from '@sinclair/typebox';
import { ConfigSchema, type Config, type ConfigInput, type FeedShardConfig, type ProcessRole, type RateLimitPolicyConfig, type UpstreamConfig } from './config.schema.js';
import { parsePolicySpec } from '../platform/ratelimit/policy-spec.js';
import type { RateLimitRule } from '../platform/ratelimit/ratelimit.port.js';

/** Routes of the built-in policies (the auth routes arrive with accounts). */
const BUILT_IN_POLICIES = [
  { name: 'global', variable: 'RATE_LIMIT_GLOBAL', routes: 'all', counts: 'requests' },
  { name: 'create', variable: 'RATE_LIMIT_CREATE', routes: ['POST /api/v1/links'], counts: 'requests' },
  { name: 'auth', variable: 'RATE_LIMIT_AUTH', routes: ['POST /api/v1/auth/login', 'POST /api/v1/auth/signup', 'POST /oauth/authorize'], counts: 'requests' },
  { name: 'probe', variable: 'RATE_LIMIT_PROBE', routes: ['GET /:code'], counts: 'not-found' },
] as const;

/** Parses every RATE_LIMIT_* variable, pushing what is wrong onto `problems`. */
function rateLimitPolicies(input: ConfigInput, problems: string[]): RateLimitPolicyConfig[] {
  const policies: RateLimitPolicyConfig[] = [];
  for (const p of BUILT_IN_POLICIES) {
    const text = String(input[p.variable]);
    if (text.trim() === 'off') continue;
    const spec = parsePolicySpec(text);
    if (typeof spec === 'string') problems.push(`${p.variable}: ${spec} (got ${JSON.stringify(text)})`);
    else policies.push({ name: p.name, routes: p.routes, counts: p.counts, spec });
  }
  if (String(input.RATE_LIMIT_ROUTES).trim() === '') return policies;
  let extra: unknown;
  try {
    extra = JSON.parse(input.RATE_LIMIT_ROUTES);
  } catch {
    problems.push('RATE_LIMIT_ROUTES: not JSON');
    return policies;
  }
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
    problems.push('RATE_LIMIT_ROUTES: must be an object of policies by name');
    return policies;
  }
  for (const [name, value] of Object.entries(extra)) {
    const v = value as { routes?: unknown; limit?: unknown };
    const routes = Array.isArray(v.routes) && v.routes.every((r) => typeof r === 'string' && /^[A-Z]+ \/\S*$/.test(r)) ? (v.routes as string[]) : undefined;
    const spec = typeof v.limit === 'string' ? parsePolicySpec(v.limit) : 'limit must be a policy string';
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(name) || BUILT_IN_POLICIES.some((p) => p.name === name)) problems.push(`RATE_LIMIT_ROUTES: policy name "${name}" must be lower-case letters, digits and dashes, and not a built-in name`);
    else if (routes === undefined || routes.length === 0) problems.push(`RATE_LIMIT_ROUTES.${name}.routes: a list of "METHOD /route" strings`);
    else if (typeof spec === 'string') problems.push(`RATE_LIMIT_ROUTES.${name}.limit: ${spec}`);
    else policies.push({ name, routes, counts: 'requests', spec });
  }
  return policies;
}

/** CHAT_SEND_RATE_LIMIT as a rule (null when `off`); a `by=` option is refused: the limit is per user. */
function chatSendRule(text: string, problems: string[]): RateLimitRule | null {
  if (text.trim() === 'off') return null;
  const spec = parsePolicySpec(text);
  if (typeof spec === 'string') problems.push(`CHAT_SEND_RATE_LIMIT: ${spec} (got ${JSON.stringify(text)})`);
  else if (/\bby=/.test(text)) problems.push(`CHAT_SEND_RATE_LIMIT: always per user; drop the by= option (got ${JSON.stringify(text)})`);
  else return spec.rule;
  return null;
}

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

/** `name=postgres://host/db?schema=s, ...`: each shard's name, URL and optional schema. */
function parseFeedShards(text: string, problems: string[]): FeedShardConfig[] {
  const out: FeedShardConfig[] = [];
  for (const entry of splitList(text)) {
    const at = entry.indexOf('=');
    const name = entry.slice(0, Math.max(0, at)).trim();
    const raw = entry.slice(at + 1).trim();
    if (at < 1 || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
      problems.push(`FEED_SHARDS: "${entry}" is not name=postgres://... (a name of letters, digits, '_', '.', '-')`);
      continue;
    }
    if (!/^postgres(ql)?:\/\//.test(raw) || !URL.canParse(raw)) {
      problems.push(`FEED_SHARDS: shard ${name}: "${raw}" is not a postgres:// URL`);
      continue;
    }
    const url = new URL(raw);
    const schema = url.searchParams.get('schema') ?? undefined;
    url.searchParams.delete('schema');
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) problems.push(`FEED_SHARDS: shard ${name}: schema "${schema}" is not a lower-case identifier`);
    if (out.some((s) => s.name === name)) problems.push(`FEED_SHARDS: shard ${name} is named twice`);
    out.push({ name, url: url.toString(), schema });
  }
  return out;
}

/** GATEWAY_UPSTREAMS: `host:port [weight=N] [backup]`, comma-separated (nginx's `server` line, shortened). */
function parseUpstreams(text: string, problems: string[]): UpstreamConfig[] {
  const upstreams: UpstreamConfig[] = [];
  for (const entry of splitList(text)) {
    const [address = '', ...flags] = entry.split(/\s+/);
    const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
    const port = Number(match?.[2]);
    let weight = 1;
    let backup = false;
    let bad = match === null || port < 1 || port > 65535 ? `"${address}" is not host:port` : undefined;
    for (const flag of flags) {
      const w = /^weight=(\d{1,4})$/.exec(flag);
      if (w !== null && Number(w[1]) >= 1 && Number(w[1]) <= 1000) weight = Number(w[1]);
      else if (flag === 'backup') backup = true;
      else bad ??= `unknown option "${flag}" (weight=1..1000 or backup)`;
    }
    if (bad !== undefined) problems.push(`GATEWAY_UPSTREAMS: ${bad} in "${entry}"`);
    else if (upstreams.some((u) => u.address === address)) problems.push(`GATEWAY_UPSTREAMS: ${address} is listed twice`);
    else upstreams.push({ address, host: match![1]!.replace(/^\[|\]$/g, ''), port, weight, backup });
  }
  if (upstreams.length > 0 && upstreams.every((u) => u.backup)) problems.push('GATEWAY_UPSTREAMS: every upstream is a backup; mark at least one as primary');
  return upstreams;
}

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
  const rateLimits = rateLimitPolicies(input, problems);
  const chatSendLimit = chatSendRule(input.CHAT_SEND_RATE_LIMIT, problems);
  if ((input.TLS_CERT_FILE === undefined) !== (input.TLS_KEY_FILE === undefined)) problems.push('TLS_CERT_FILE and TLS_KEY_FILE: set both or neither');
  const corsOrigins = splitList(String(input.CORS_ORIGINS ?? ''));
  for (const origin of corsOrigins) {
    if (origin === '*' || !URL.canParse(origin) || new URL(origin).origin !== origin) problems.push(`CORS_ORIGINS: "${origin}" is not an origin like https://app.example.com (no path, no wildcard)`);
  }
  const replicaUrls = splitList(input.DATABASE_REPLICA_URLS);
  for (const url of replicaUrls) if (!/^postgres(ql)?:\/\//.test(url) || !URL.canParse(url)) problems.push(`DATABASE_REPLICA_URLS: "${url}" is not a postgres:// URL`);
  if (replicaUrls.length > 0 && input.DATABASE_URL === undefined) problems.push('DATABASE_REPLICA_URLS: replicas need DATABASE_URL (their primary)');
  if (replicaUrls.length > 0 && input.DATABASE_READ_YOUR_WRITES_MS > 0 && input.DATABASE_REPLICA_MAX_LAG_MS >= input.DATABASE_READ_YOUR_WRITES_MS) {
    problems.push('DATABASE_REPLICA_MAX_LAG_MS: must be below DATABASE_READ_YOUR_WRITES_MS, or a writer could read from a replica that has not got its write');
  }
  const roles = new Set(splitList(input.ROLES) as ProcessRole[]);
  const gatewayUpstreams = parseUpstreams(input.GATEWAY_UPSTREAMS, problems);
  const feedShards = parseFeedShards(input.FEED_SHARDS, problems);
  if (feedShards.length > 0 && input.DATABASE_URL === undefined) problems.push('FEED_SHARDS: shards need DATABASE_URL (the main database holds the ring, follows and counters)');
  if (splitList(input.ADMIN_USERS).length > 0) {
    problems.push('ADMIN_USERS: removed; operators are a role on their user record now. Run `blueprint users:role NAME operator` for each name, then unset ADMIN_USERS');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const publicUrl = (input.PUBLIC_URL ?? `${input.TLS_CERT_FILE ? 'https' : 'http'}://localhost:${input.PORT}`).replace(/\/+$/, '');
  const config: Config = {
    ...input,
    rateLimits,
    chatSendLimit,
    PUBLIC_URL: publicUrl,
    trustedOrigins: [...new Set([new URL(publicUrl).origin, ...corsOrigins])],
    trustedProxies: splitList(input.TRUST_PROXY),
    reservedWords: splitList(input.LINK_RESERVED_WORDS).map((w) => w.toLowerCase()),
    replicaUrls,
    roles,
    gatewayUpstreams,
    feedShards,
  };
  return Object.freeze(config);
}
