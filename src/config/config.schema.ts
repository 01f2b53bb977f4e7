import { Type, type Static } from '@sinclair/typebox';
import type { PolicySpec } from '../platform/ratelimit/policy-spec.js';
import type { RateLimitRule } from '../platform/ratelimit/ratelimit.port.js';

const Int = (def: number, minimum: number, maximum: number, description: string) =>
  Type.Integer({ default: def, minimum, maximum, description });
const Bool = (def: boolean, description: string) => Type.Boolean({ default: def, description });

/**
 * Every setting, read from the environment. The configuration table of docs/operations.md is this schema;
 * `npm run config:docs` prints it.
 */
export const ConfigSchema = Type.Object({
  HOST: Type.String({ default: '127.0.0.1', minLength: 1, description: 'Interface to listen on (0.0.0.0 for all).' }),
  PORT: Int(8080, 0, 65535, 'TCP port to listen on.'),
  PUBLIC_URL: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', description: 'Base of short links (default http://localhost:PORT).' })),
  DATA_DIR: Type.String({ default: './data', minLength: 1, description: 'Where the embedded databases and generated secrets live.' }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info', description: 'pino log level.' }),
  ACCESS_LOG: Type.Union([Type.Literal('all'), Type.Literal('errors'), Type.Literal('off')], {
    default: 'errors',
    description: 'Access log lines (method, route, status, duration, request id): for every request, only for 4xx/5xx and slow ones, or none. Metrics count every request either way.',
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', description: 'OpenTelemetry collector (OTLP/HTTP, e.g. http://127.0.0.1:4318): spans of requests, upstream attempts and queue messages are exported there, and logs carry the trace id; unset: no tracing (W3C traceparent headers still pass through).' })),
  OTEL_SERVICE_NAME: Type.Optional(Type.String({ minLength: 1, description: 'service.name of exported spans (default blueprint-<roles>).' })),
  ACCESS_LOG_SLOW_MS: Int(1_000, 0, 600_000, 'With ACCESS_LOG=errors, also log requests slower than this.'),
  TRUST_PROXY: Type.String({ default: '', description: 'Comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed; empty trusts none.' }),
  BODY_LIMIT_BYTES: Int(65_536, 1_024, 10_485_760, 'Largest request body accepted (413 beyond).'),
  HEADERS_TIMEOUT_MS: Int(10_000, 100, 600_000, 'A client must send its request headers within this (408 and closed after; slowloris).'),
  REQUEST_TIMEOUT_MS: Int(30_000, 100, 3_600_000, 'A client must send its whole request, body included, within this (408 and closed after). Responses, streams included, are not limited by it.'),
  IDLE_TIMEOUT_MS: Int(120_000, 1_000, 3_600_000, 'A connection on which nothing moves either way this long is closed (kept-alive ones after at most 72 s): a client that stops reading an answer does not hold it forever. Longer than STREAM_HEARTBEAT_SECONDS.'),
  SHUTDOWN_TIMEOUT_MS: Int(10_000, 100, 120_000, 'How long a graceful shutdown may take before the process exits anyway.'),
  WORKER_ID: Type.Optional(Type.Integer({ minimum: 0, maximum: 1023, description: 'Snowflake worker id (0..1023); random when unset. Give each process its own.' })),

  ROLES: Type.String({ default: 'api,worker', pattern: '^\\s*(gateway|api|worker)(\\s*,\\s*(gateway|api|worker))*\\s*$', description: 'What this process runs, comma-separated: `api` (the HTTP API), `worker` (queue consumers), `gateway` (the edge: proxies to GATEWAY_UPSTREAMS). `blueprint start --role ...` sets it.' }),
  API_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'Port of the api role when the gateway shares its process (default PORT+1, on 127.0.0.1).' })),

  GATEWAY_UPSTREAMS: Type.String({ default: '', description: 'The API pool behind the gateway: comma-separated `host:port [weight=N] [backup]`; empty: the api role of this process.' }),
  GATEWAY_DISCOVERY: Type.Union([Type.Literal('static'), Type.Literal('registry')], { default: 'static', description: 'static: the pool is GATEWAY_UPSTREAMS. registry: the API instances that announce themselves (in Redis with REDIS_URL), checked every second; GATEWAY_UPSTREAMS is the fallback while the registry is empty or unreachable.' }),
  DISCOVERY_ADVERTISE: Type.Optional(Type.String({ pattern: '^(\\[[0-9a-fA-F:]+\\]|[A-Za-z0-9.-]+):\\d{1,5}$', description: 'host:port the api role announces in the registry (with REDIS_URL); default HOST (127.0.0.1 when listening on all interfaces) and the port it listens on.' })),
  DISCOVERY_TTL_MS: Int(10_000, 300, 600_000, 'An announcement lives this long unless renewed (every third of it): a crashed instance leaves the registry after at most this.'),
  GATEWAY_POLICY: Type.Union(['round-robin', 'weighted-round-robin', 'least-connections', 'ip-hash', 'consistent-hash', 'peak-ewma'].map((p) => Type.Literal(p)), { default: 'least-connections', description: 'Load-balancing policy (consistent-hash keys on the path, so that a short code is served by the same instance\'s cache).' }),
  GATEWAY_AUTH: Type.Union([Type.Literal('verify'), Type.Literal('off')], { default: 'verify', description: 'verify: Bearer access tokens are checked at the gateway with the API\'s public keys (its JWKS), a bad one refused with 401 there, a good one naming the user for by=user limits; API keys pass to the API (give the gateway the API\'s PUBLIC_URL or JWT_ISSUER and JWT_AUDIENCE). off: the API alone checks.' }),
  GATEWAY_CONNECTIONS: Int(64, 1, 4_096, 'Keep-alive connections per upstream.'),
  GATEWAY_MAX_CONCURRENT: Int(0, 0, 1_000_000, 'Requests in flight per upstream at most (0: no limit); a full upstream is skipped.'),
  GATEWAY_TIMEOUT_MS: Int(10_000, 100, 600_000, 'How long one attempt waits for the upstream\'s response headers (504 after).'),
  GATEWAY_RETRIES: Int(2, 0, 10, 'More attempts, each on another upstream, for idempotent requests (GET, HEAD, PUT, DELETE...) that failed to connect, timed out or got a 502/503/504.'),
  GATEWAY_RETRY_BUDGET: Type.Number({ default: 0.2, minimum: 0, maximum: 1, description: 'Retries allowed as a share of requests (over 10 s, plus 10/s), so that retries never multiply an overload.' }),
  GATEWAY_HEALTH_INTERVAL_MS: Int(2_000, 50, 600_000, 'Active health check (GET /readyz) of each upstream this often (0-10% jitter).'),
  GATEWAY_HEALTH_TIMEOUT_MS: Int(1_000, 10, 60_000, 'A health check without an answer by then fails.'),
  GATEWAY_HEALTHY_THRESHOLD: Int(2, 1, 100, 'Consecutive passed checks that bring an upstream back.'),
  GATEWAY_UNHEALTHY_THRESHOLD: Int(2, 1, 100, 'Consecutive failed checks that take an upstream out.'),
  GATEWAY_EJECT_AFTER_ERRORS: Int(5, 1, 1_000, 'Consecutive failed requests (connection errors, 5xx) that eject an upstream (passive health check).'),
  GATEWAY_EJECT_MS: Int(10_000, 100, 3_600_000, 'First ejection time; each further ejection lasts longer (up to 10x).'),
  GATEWAY_MAX_EJECT_PERCENT: Int(50, 0, 100, 'Share of the primary upstreams that may be ejected at once.'),
  GATEWAY_SLOW_START_MS: Int(10_000, 0, 600_000, 'A recovered upstream\'s weight ramps up over this window (0: at once).'),
  GATEWAY_BREAKER_FAILURES: Int(20, 1, 100_000, 'Consecutive failed requests across the pool that open the circuit breaker (then: stale cached responses or 503 at once).'),
  GATEWAY_BREAKER_OPEN_MS: Int(5_000, 100, 600_000, 'How long the breaker stays open before one probe request may pass.'),
  GATEWAY_CACHE_MAX_ENTRIES: Int(10_000, 0, 10_000_000, 'Public GET responses the gateway keeps (as their Cache-Control allows), revalidated with ETag; served stale while the pool is down. 0: off.'),

  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: 'PostgreSQL for every module\'s tables (`postgres://user@host:5432/db`); unset: SQLite files under DATA_DIR.' })),
  DATABASE_SCHEMA: Type.Optional(Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$', description: 'PostgreSQL schema holding the tables (created if missing); default the server\'s search_path.' })),
  DATABASE_POOL_SIZE: Int(10, 1, 500, 'Connections per process to DATABASE_URL.'),
  DATABASE_REPLICA_URLS: Type.String({ default: '', description: 'Comma-separated `postgres://` URLs of streaming standbys of DATABASE_URL (`scripts/pg-replica.sh start` makes one on this machine); reads that allow it go to them, the rest to the primary.' }),
  DATABASE_READ_YOUR_WRITES_MS: Int(5_000, 0, 600_000, 'After a caller writes, its reads go to the primary for this long (per process; 0: off).'),
  DATABASE_REPLICA_MAX_LAG_MS: Int(2_000, 0, 600_000, 'Replicas further behind than this are not read from (must be below DATABASE_READ_YOUR_WRITES_MS).'),
  DATABASE_REPLICA_PROBE_MS: Int(500, 50, 60_000, 'How often each replica\'s health and lag are measured.'),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://', description: 'Redis for shared state: the link cache (behind an in-process near cache), home timelines, rate-limit counters, pub/sub; unset keeps everything in process.' })),
  AMQP_PREFIX: Type.String({ default: 'blueprint', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'First part of every RabbitMQ queue and exchange name, so that deployments can share a broker.' }),
  AMQP_URL: Type.Optional(Type.String({ pattern: '^amqps?://', description: 'RabbitMQ for the queues (click events, feed events); unset: a durable SQLite queue under DATA_DIR.' })),

  REDIS_PREFIX: Type.String({ default: 'bp:', pattern: '^[A-Za-z0-9:_.-]{0,64}$', description: 'Prefix of every Redis key, so that deployments can share a server.' }),

  RATE_LIMIT_GLOBAL: Type.String({ default: 'leaky-bucket 100/1s burst=200 nodelay by=ip', description: 'Policy on every request except /healthz, /readyz, /metrics: `<algorithm> <limit>/<window> [burst=N] [delay=N|nodelay] [by=ip|user|apikey|global] [fail=open|closed]`, or `off`.' }),
  RATE_LIMIT_CREATE: Type.String({ default: 'gcra 20/1m burst=20 by=user', description: 'Policy on link creation (per user when signed in, else per address), or `off`.' }),
  RATE_LIMIT_AUTH: Type.String({ default: 'sliding-log 10/5m by=ip', description: 'Policy on login, signup and the OAuth authorization form (brute force), or `off`.' }),
  RATE_LIMIT_PROBE: Type.String({ default: 'fixed-window 60/1m by=ip', description: 'Unknown short codes one address may ask for before its redirects are refused, or `off`.' }),
  RATE_LIMIT_LEASE: Int(1_000, 1, 100_000, 'With REDIS_URL: most requests a process admits from one lease of a key\'s quota before asking Redis again (1: ask for every request). A key\'s leases start at 16 and double while it spends them fast, never above an eighth of its limit. Never admits beyond a limit; may refuse up to processes × 1.5 × lease requests early.'),
  RATE_LIMIT_LEASE_MS: Int(250, 10, 60_000, 'With REDIS_URL: how long a lease may be spent, and a "quota left?" answer reused; unspent units are dropped after it.'),
  RATE_LIMIT_ROUTES: Type.String({ default: '', description: 'More policies as JSON: {"name": {"routes": ["GET /api/v1/links/:code/stats"], "limit": "sliding-counter 60/1m"}}.' }),

  TLS_CERT_FILE: Type.Optional(Type.String({ minLength: 1, description: 'PEM certificate (chain): with TLS_KEY_FILE, serve HTTPS, HTTP/2 and HTTP/1.1, on PORT.' })),
  TLS_KEY_FILE: Type.Optional(Type.String({ minLength: 1, description: 'PEM private key of TLS_CERT_FILE.' })),
  CORS_ORIGINS: Type.String({ default: '', description: 'Comma-separated origins allowed to call the API from a browser (never `*`); the public URL\'s origin is always allowed.' }),

  JWT_ISSUER: Type.Optional(Type.String({ minLength: 1, description: 'iss of access tokens (default PUBLIC_URL).' })),
  JWT_AUDIENCE: Type.String({ default: 'blueprint-api', minLength: 1, description: 'aud of access tokens.' }),
  JWT_PRIVATE_KEY: Type.Optional(Type.String({ minLength: 1, description: 'Ed25519 private key (PKCS#8 PEM) signing access tokens; unset: keys are generated under DATA_DIR/secrets and rotated with `npm run cli -- auth:rotate-keys`.' })),
  ACCESS_TOKEN_TTL_SECONDS: Int(900, 60, 86_400, 'Lifetime of an access token (JWT).'),
  REFRESH_TOKEN_TTL_DAYS: Int(30, 1, 365, 'Lifetime of a refresh token family.'),
  OAUTH_ACCESS_TOKEN_TTL_SECONDS: Int(0, 0, 31_536_000, 'Lifetime of an OAuth access token; 0: it lives as long as its authorization (until revoked, or REFRESH_TOKEN_TTL_DAYS), as Mastodon\'s do, because Mastodon apps do not refresh.'),
  OAUTH_PKCE: Type.Union([Type.Literal('required'), Type.Literal('optional')], { default: 'required', description: 'required: every authorization request carries an S256 code_challenge (RFC 9700). optional: apps that do not send one (older Mastodon apps) are let in, authenticated by their client secret alone. `plain` is refused either way.' }),
  OAUTH_PASSWORD_GRANT: Type.Union([Type.Literal('off'), Type.Literal('on')], { default: 'off', description: 'on: POST /oauth/token accepts grant_type=password (the app sees the password; RFC 9700 forbids it, some old clients need it).' }),
  PASSWORD_HASH_MEMORY_KIB: Int(19_456, 8_192, 1_048_576, 'argon2id memory cost (OWASP: 19 MiB); hashes are upgraded at login when it changes.'),
  PASSWORD_HASH_ITERATIONS: Int(2, 1, 20, 'argon2id time cost (OWASP: 2).'),
  PASSWORD_HASH_PARALLELISM: Int(1, 1, 16, 'argon2id parallelism (OWASP: 1).'),

  FEED_CELEBRITY_THRESHOLD: Int(10_000, 1, 1_000_000_000, 'Authors with more followers are not fanned out on write: their tweets are merged into home timelines at read time.'),
  FEED_TIMELINE_CAPACITY: Int(800, 10, 100_000, 'Tweet ids kept per home timeline; older pages come from the database.'),
  FEED_INACTIVE_DAYS: Int(30, 1, 3_650, 'Followers who have not read their home timeline for this long are skipped by fan-out and rebuilt on their next read.'),
  FEED_FANOUT_BATCH: Int(1_000, 10, 100_000, 'Followers per timeline-store call during fan-out.'),
  CHAT_SEND_RATE_LIMIT: Type.String({ default: 'gcra 20/10s burst=20', description: 'Messages one user may send (HTTP and WebSocket alike, every conversation together): `<algorithm> <limit>/<window> [burst=N]` as the RATE_LIMIT_* policies (always per user), or `off`. Past it: 429 / a `rate_limited` socket error with retryAfter.' }),
  ADMIN_USERS: Type.String({ default: '', description: 'Removed: operators are a role on the user record, given with `blueprint users:role NAME operator`. Set, the server refuses to start (a name listed here before it was registered could be taken by anyone who signed up with it).' }),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16, description: 'Bearer token that opens `/metrics` (Prometheus: `authorization: { credentials: ... }`). Without it, `/metrics` answers without credentials only on a listener bound to loopback; operators signed in to the console always may read it.' })),
  METRICS_HOST: Type.String({ default: '127.0.0.1', minLength: 1, description: 'Interface of the metrics listener (with METRICS_PORT).' }),
  METRICS_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'A separate listener answering `/metrics` (and `/metrics/<role>` per role of the process) without credentials, on METRICS_HOST; the public listener\'s `/metrics` then needs METRICS_TOKEN or an operator.' })),
  FEED_SHARDS: Type.String({ default: '', description: 'Comma-separated `name=postgres://...` shards for tweets and likes, partitioned by author on a consistent-hash ring (a `?schema=` parameter picks a schema); empty keeps them in the main database. Needs DATABASE_URL. A shard listed here but not on the ring yet waits for `blueprint reshard --add NAME`.' }),
  FEED_SHARD_VNODES: Int(160, 1, 10_000, 'Points per shard on the feed\'s ring, when the ring is first created (stored with it afterwards).'),
  STREAM_REPLAY_EVENTS: Int(200, 0, 10_000, 'Live-stream events kept per user for Last-Event-ID replay.'),
  STREAM_HEARTBEAT_SECONDS: Int(15, 1, 300, 'Seconds between heartbeat comments on the live stream.'),
  CHAT_SOCKET_HEARTBEAT_MS: Int(25_000, 50, 600_000, 'The chat socket pings every client this often; one that has not answered the previous ping (or sent anything) by then is destroyed.'),
  CHAT_SOCKET_BUFFER_BYTES: Int(1_048_576, 16_384, 67_108_864, 'Bytes a chat socket may have waiting to be sent; past it the client is cut off (close 4008 slow_consumer).'),
  CHAT_PRESENCE_TTL_MS: Int(60_000, 300, 3_600_000, 'A process\'s chat connections in the presence registry expire this long after its last renewal (every third of it): users of a process that died read as offline after it.'),

  SQLITE_SYNCHRONOUS: Type.Union([Type.Literal('normal'), Type.Literal('full')], { default: 'full', description: 'full: an acknowledged write survives power loss (its commit is synced to disk before it is acknowledged, on a thread-pool thread, so the event loop does not wait; checkpoints run on a thread of their own); normal: survives a process crash only.' }),

  QR_RENDER_BUDGET_MS: Int(200, 10, 1_000, 'Milliseconds per second the server may spend drawing QR codes not yet cached (as much at once after a quiet second); past it, uncached QR codes answer 503 qr_busy until it refills.'),
  KEY_STRATEGY: Type.Union([Type.Literal('counter'), Type.Literal('hash'), Type.Literal('pool')], { default: 'counter', description: 'Short-code generation: counter + base62, hash of the URL, or pre-generated pool.' }),
  KEY_SCRAMBLE: Bool(true, 'counter: permute counter values with a keyed Feistel cipher so codes cannot be walked (7 characters); false: sequential codes (1, 2, ... z, 10...), shorter but walkable.'),
  KEY_SECRET: Type.Optional(Type.String({ minLength: 16, description: 'Key of the scramble and hash salt; generated under DATA_DIR when unset.' })),
  KEY_BLOCK_SIZE: Int(1_000, 1, 1_000_000, 'counter: values leased per process at a time.'),
  KEY_POOL_SIZE: Int(10_000, 10, 10_000_000, 'pool: keys kept ready.'),
  KEY_POOL_LOW_WATERMARK: Int(2_000, 1, 10_000_000, 'pool: refill when fewer keys are left.'),

  LINK_MAX_URL_LENGTH: Int(2_048, 64, 65_536, 'Longest target URL accepted.'),
  LINK_RESERVED_WORDS: Type.String({ default: '', description: 'Extra comma-separated words refused as aliases (api, healthz... are always reserved).' }),
  REDIRECT_PERMANENT_MAX_AGE: Int(3_600, 0, 31_536_000, 'Cache-Control max-age (seconds) sent with 301 redirects.'),

  CACHE_MAX_ENTRIES: Int(100_000, 100, 100_000_000, 'Links kept in the in-process cache.'),
  CACHE_TTL_SECONDS: Int(86_400, 1, 31_536_000, 'Lifetime of a cached link.'),
  CACHE_NEGATIVE_TTL_SECONDS: Int(60, 0, 86_400, 'Lifetime of a cached "no such code" answer.'),
  CACHE_NEAR: Type.Union([Type.Literal('on'), Type.Literal('off')], { default: 'on', description: 'With REDIS_URL: keep an in-process copy in front of Redis, invalidated across processes over pub/sub (on), or read Redis on every lookup (off: for comparison).' }),

  CLICKS_FLUSH_INTERVAL_MS: Int(1_000, 10, 60_000, 'Clicks are buffered in memory and flushed to the queue this often (the loss window on a crash); a full batch goes at once, everything at half of CLICKS_BUFFER_LIMIT.'),
  CLICKS_BATCH_SIZE: Int(1_000, 1, 100_000, 'Clicks per queue message; a batch is published as soon as it is full (batches filled during a publish go together in the next, in one commit).'),
  CLICKS_BUFFER_LIMIT: Int(100_000, 100, 10_000_000, 'Clicks held in memory at most when the queue is slow; beyond, clicks are dropped and counted.'),
  ANALYTICS_ANONYMIZE_IP: Bool(true, 'Store click addresses without their host part (last IPv4 octet, last 80 bits of IPv6).'),
  ANALYTICS_WORKER: Type.Union([Type.Literal('thread'), Type.Literal('inline')], { default: 'thread', description: 'Where queue consumers run in one process: a worker thread (off the request path) or the main thread.' }),

  BACKGROUND_YIELD_ABOVE: Type.Number({ default: 0.5, minimum: 0, maximum: 1, description: 'Background consumers wait while the API thread\'s event-loop utilisation is above this (1: never wait). Load levelling: the queue holds the work meanwhile.' }),
  BACKGROUND_MAX_LAG_MS: Int(60_000, 0, 3_600_000, 'A background message never waits for the API thread once it is this old.'),
  WORKER_NICE: Int(19, 0, 19, 'Nice value of the worker thread (Linux, per thread): 19 lets requests win the CPU and the queue absorb bursts.'),

  QUEUE_MAX_ATTEMPTS: Int(8, 1, 100, 'Deliveries before a message goes to the dead-letter table.'),
  QUEUE_VISIBILITY_TIMEOUT_MS: Int(30_000, 100, 3_600_000, 'An unacknowledged message is redelivered after this long.'),
  QUEUE_POLL_INTERVAL_MS: Int(100, 5, 10_000, 'How often idle consumers look for work.'),
});

export type ConfigInput = Static<typeof ConfigSchema>;

/** The validated, frozen configuration with derived values. */
/** A rate-limit policy after parsing: where it applies and what it allows. */
export interface RateLimitPolicyConfig {
  name: string;
  /** `METHOD /route` patterns, or 'all'. */
  routes: readonly string[] | 'all';
  /** `requests` counts every request; `not-found` counts only 404 answers and refuses once exhausted. */
  counts: 'requests' | 'not-found';
  spec: PolicySpec;
}

/** What a process runs (ROLES). */
export type ProcessRole = 'gateway' | 'api' | 'worker';

/** One parsed GATEWAY_UPSTREAMS entry. */
export interface UpstreamConfig {
  /** `host:port` as written: the upstream's id. */
  address: string;
  host: string;
  port: number;
  weight: number;
  backup: boolean;
}

export interface FeedShardConfig {
  readonly name: string;
  readonly url: string;
  readonly schema: string | undefined;
}

export type Config = Readonly<
  Omit<ConfigInput, 'PUBLIC_URL'> & {
    /** Parsed RATE_LIMIT_* policies that are on. */
    rateLimits: readonly RateLimitPolicyConfig[];
    /** Parsed CHAT_SEND_RATE_LIMIT; null when `off`. */
    chatSendLimit: RateLimitRule | null;
    PUBLIC_URL: string;
    /** Origins trusted for browser calls and cookie-authenticated posts: PUBLIC_URL's and CORS_ORIGINS. */
    trustedOrigins: readonly string[];
    /** Parsed TRUST_PROXY. */
    trustedProxies: readonly string[];
    /** Parsed LINK_RESERVED_WORDS. */
    reservedWords: readonly string[];
    /** Parsed DATABASE_REPLICA_URLS. */
    replicaUrls: readonly string[];
    /** Parsed ROLES. */
    roles: ReadonlySet<ProcessRole>;
    /** Parsed GATEWAY_UPSTREAMS. */
    gatewayUpstreams: readonly UpstreamConfig[];
    /** Parsed FEED_SHARDS: name, connection URL (without `schema`), schema. */
    feedShards: readonly FeedShardConfig[];
  }
>;
