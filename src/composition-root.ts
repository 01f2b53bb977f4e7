import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import type { Config } from './config/index.js';
import { createLogger } from './observability/logger.js';
import { Metrics, type ConnectionEvent } from './observability/metrics.js';
import { createTracing, type Tracing } from './observability/tracing.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { systemClock, type Clock } from './platform/clock/index.js';
import { SnowflakeIdGenerator, MAX_WORKER_ID, type IdGenerator } from './platform/ids/index.js';
import type { CachePort } from './platform/cache/index.js';
import { LruCacheAdapter } from './platform/cache/memory/lru-cache.adapter.js';
import type { SqlDatabase } from './platform/sql/index.js';
import type { Migration } from 'kysely';
import { SqliteDatabase } from './platform/sql/sqlite/sqlite-database.js';
import type { QueuePort, QueueStats } from './platform/queue/index.js';
import { SqliteQueue } from './platform/queue/sqlite/sqlite-queue.js';
import { RabbitMqQueue } from './platform/queue/rabbitmq/index.js';
import { loadOrCreateSecret } from './lib/secrets.js';
import { MemoryRateLimitStore, type RateLimitStore } from './platform/ratelimit/index.js';
import { RedisRateLimitStore } from './platform/ratelimit/redis/index.js';
import { leasedRateLimits } from './platform/ratelimit/leased/index.js';
import { createLinks, linksMigrations, type KeyGenerator, type LinksService } from './modules/links/index.js';

import { analyticsMigrationsFor, createAnalytics, CLICKS_TOPIC, type Analytics, type ClickRecorder } from './modules/analytics/index.js';
import { accountsMigrations, createAccounts, createUserDirectory, type Accounts } from './modules/accounts/index.js';
import { createFeed, feedMigrations, FEED_EVENT_GROUPS, openFeedShards, type Feed, type FeedShards } from './modules/feed/index.js';
import { createSearch, searchMigrations, type Search } from './modules/search/index.js';
import { createNotifications, notificationsMigrations, type Notifications } from './modules/notifications/index.js';
import { createStream, type Stream } from './modules/stream/index.js';
import { createOAuth, oauthMigrations, type OAuth } from './modules/oauth/index.js';
import { createMastodon, mastodonMigrations, type Mastodon } from './modules/mastodon/index.js';
import { OutboxRelay, outboxMigrationsFor } from './platform/outbox/index.js';
import { ringMigrations } from './platform/sharding/index.js';
import { NearCache } from './platform/cache/index.js';
import { RedisCacheAdapter } from './platform/cache/redis/index.js';
import { RedisPubSub } from './platform/pubsub/redis/index.js';
import { RedisClients } from './platform/redis/index.js';
import { PostgresDatabase } from './platform/sql/postgres/index.js';
import { ReplicatedDatabase } from './platform/sql/replicas/index.js';
import type { PubSubPort } from './platform/pubsub/index.js';
import { MemoryPubSub } from './platform/pubsub/memory/index.js';
import { MemoryTimelineStore, type TimelineStore } from './platform/timelines/index.js';
import { RedisTimelineStore } from './platform/timelines/redis/index.js';
import type { ServiceRegistry } from './platform/discovery/index.js';
import { RedisServiceRegistry } from './platform/discovery/redis/index.js';

export type Role = 'api' | 'worker';

/** Everything a process needs, built once from the configuration. */
export interface Container {
  readonly config: Config;
  readonly role: Role;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly sql: SqlDatabase<unknown>;
  readonly cache: CachePort;
  readonly queue: QueuePort;
  /** The topics this deployment consumes (gauges, the operators' dead letters). */
  readonly queueTopics: readonly string[];
  readonly links: LinksService;
  readonly keys: KeyGenerator;
  readonly analytics: Analytics;
  /** The click buffer (api role only). */
  readonly clicks: ClickRecorder | undefined;
  /** Users, sessions, API keys (api role only). */
  readonly accounts: Accounts | undefined;
  /** Rate-limit counters (api role only): in process, or in Redis when REDIS_URL is set. */
  readonly rateLimits: RateLimitStore | undefined;
  /** Home timelines: in process (fan-out then runs on the API thread), or in Redis when REDIS_URL is set. */
  readonly timelines: TimelineStore;
  /** Tweets, follows, timelines and the fan-out. */
  readonly feed: Feed;
  readonly search: Search;
  readonly notifications: Notifications;
  /** Live events for the stream: across the threads of this process. */
  readonly pubsub: PubSubPort;
  /** The OAuth 2.0 authorization server for third-party apps (api role only). */
  readonly oauth: OAuth | undefined;
  /** Mastodon's client API over the feed (api role only). */
  readonly mastodon: Mastodon | undefined;
  /** Server-Sent Events (api role only). */
  readonly stream: Stream | undefined;
  /** Moves committed feed events from the outbox to the queue (api role only). */
  readonly outbox: OutboxRelays | undefined;
  /** Tweets and likes on shards (FEED_SHARDS), when configured. */
  readonly feedShards: FeedShards | undefined;
  /** Where the api role announces itself for gateways to find (with REDIS_URL). */
  readonly registry: ServiceRegistry | undefined;
  /** Spans, exported when a collector is configured. */
  readonly tracing: Tracing;
  /** Flushes buffers, stops background work and closes every connection, in dependency order. */
  close(): Promise<void>;
}

export interface ContainerOptions {
  role: Role;
  logger?: Logger;
  clock?: Clock;
  /** Where connection state changes go (default: this container's metrics; a worker thread sends them to the main thread's). */
  onConnection?: (event: ConnectionEvent) => void;
  /** Where spans go instead of OTEL_EXPORTER_OTLP_ENDPOINT (tests). */
  spanExporter?: SpanExporter;
}

/** The topics this deployment consumes. */
const QUEUE_TOPICS: readonly string[] = [CLICKS_TOPIC, ...FEED_EVENT_GROUPS];

/** The outbox relays of the main database and of every feed shard, as one. */
export type OutboxRelays = Pick<OutboxRelay, 'start' | 'notify' | 'drain' | 'stop'>;

/**
 * The composition root: the one place that reads the configuration to pick adapters and wire
 * modules. Embedded adapters by default (SQLite, in-process LRU and pub/sub, SQLite queue); PostgreSQL,
 * Redis and RabbitMQ when DATABASE_URL, REDIS_URL and AMQP_URL name them.
 */
export async function createContainer(config: Config, options: ContainerOptions): Promise<Container> {
  const { role } = options;
  // The main thread logs a line per request: buffered. A worker thread logs little: line by line.
  const logger = options.logger ?? createLogger(config.LOG_LEVEL, { buffered: role === 'api' });
  const metrics = new Metrics({ defaultMetrics: role === 'api' });
  const clock = options.clock ?? systemClock;
  const ids = new SnowflakeIdGenerator(clock, config.WORKER_ID ?? randomInt(MAX_WORKER_ID + 1));
  const secret = config.KEY_SECRET ?? loadOrCreateSecret(config.DATA_DIR, 'key-secret');
  const onConnection = options.onConnection ?? ((event: ConnectionEvent) => metrics.observeConnection(event));
  const connectionState = (service: ConnectionEvent['service'], client: string, state: ConnectionEvent['state']) => {
    if (state === 'lost') logger.warn({ service, client }, 'connection lost; reconnecting');
    else logger.debug({ service, client }, 'connection up');
    onConnection({ service, client, state });
  };

  const postgres = (url: string, client: string, schema = config.DATABASE_SCHEMA) =>
    new PostgresDatabase({
      connectionString: url,
      schema,
      poolSize: config.DATABASE_POOL_SIZE,
      onError: (err: Error) => {
        logger.warn({ err, client }, 'database connection error');
        connectionState('postgres', client, 'lost');
      },
      onConnect: () => connectionState('postgres', client, 'up'),
    });
  let sql: SqlDatabase<unknown> =
    config.DATABASE_URL === undefined ? new SqliteDatabase({ filename: join(config.DATA_DIR, 'blueprint.db'), synchronous: config.SQLITE_SYNCHRONOUS }) : postgres(config.DATABASE_URL, 'pool');
  let replicated: ReplicatedDatabase | undefined;
  if (config.replicaUrls.length > 0) {
    replicated = new ReplicatedDatabase({
      primary: sql,
      replicas: config.replicaUrls.map((url) => ({ name: new URL(url).host, database: postgres(url, `replica:${new URL(url).host}`) })),
      readYourWritesMs: config.DATABASE_READ_YOUR_WRITES_MS,
      maxLagMs: config.DATABASE_REPLICA_MAX_LAG_MS,
      probeIntervalMs: config.DATABASE_REPLICA_PROBE_MS,
      onReplicaChange: (s) => logger.info({ replica: s.name, state: s.state, lagMs: s.lagMs, err: s.error }, 'replica state'),
    });
    // Until the first probe answers, reads go to the primary.
    await replicated.refresh();
    registerReplicaGauges(metrics, replicated);
    sql = replicated;
  }
  if (role === 'api') await sql.migrate(apiMigrations(sql.dialect));
  const queue = openQueue(config, logger);
  if (queue instanceof RabbitMqQueue) {
    queue.connection.onUp(() => connectionState('rabbitmq', 'queue', 'up'));
    queue.connection.onDown(() => connectionState('rabbitmq', 'queue', 'lost'));
  }
  // One client per use, all from REDIS_URL; named in CLIENT LIST and counted in /metrics.
  const redis = config.REDIS_URL === undefined ? undefined : new RedisClients({ url: config.REDIS_URL, onState: (client, state) => connectionState('redis', client, state) });
  // Opened together, so that the wait for the first connections below covers them all.
  const redisFor = redis && { cache: redis.open('cache'), timelines: redis.open('timelines'), ratelimit: role === 'api' ? redis.open('ratelimit') : undefined, registry: role === 'api' ? redis.open('registry') : undefined };

  const onPubSubError = (err: unknown) => logger.warn({ err }, 'pub/sub error');
  // In process, one bus per deployment: the data directory names it, so that tests sharing a process stay apart.
  const pubsub: PubSubPort =
    redis === undefined
      ? new MemoryPubSub({ namespace: config.DATA_DIR, onError: onPubSubError })
      : new RedisPubSub((role, redisOptions) => redis.open(`pubsub-${role}`, redisOptions), { prefix: `${config.REDIS_PREFIX}ps:`, onError: onPubSubError });
  // Commands fail at once while a client is disconnected: give the first connections a moment.
  await redis?.ready(5_000).catch((err: unknown) => logger.warn({ err }, 'Redis not reachable yet; running degraded until it answers'));
  let cache: CachePort = new LruCacheAdapter({ maxEntries: config.CACHE_MAX_ENTRIES });
  if (redisFor !== undefined && config.CACHE_NEAR === 'off') {
    cache = new RedisCacheAdapter(redisFor.cache, { prefix: `${config.REDIS_PREFIX}cache:` });
  } else if (redisFor !== undefined) {
    // Two tiers: most reads never leave the process; writes invalidate every process's copy over pub/sub.
    const near = new NearCache({
      remote: new RedisCacheAdapter(redisFor.cache, { prefix: `${config.REDIS_PREFIX}cache:` }),
      bus: pubsub,
      maxEntries: config.CACHE_MAX_ENTRIES,
      clock,
      onError: (err) => logger.warn({ err }, 'near cache error'),
    });
    // Redis down at start degrades the cache (reads go to the database), it does not stop the process.
    await near.ready().catch((err: unknown) => logger.warn({ err }, 'near cache not subscribed yet; invalidations will start when Redis answers'));
    cache = near;
  }

  const { service: links, keys } = createLinks({
    sql,
    cache,
    pubsub,
    clock,
    metrics,
    publicUrl: config.PUBLIC_URL,
    listenPorts: [config.PORT, ...(config.API_PORT === undefined ? [] : [config.API_PORT])],
    maxUrlLength: config.LINK_MAX_URL_LENGTH,
    reservedWords: config.reservedWords,
    cacheTtlMs: config.CACHE_TTL_SECONDS * 1000,
    negativeCacheTtlMs: config.CACHE_NEGATIVE_TTL_SECONDS * 1000,
    keys: {
      strategy: config.KEY_STRATEGY,
      scramble: config.KEY_SCRAMBLE,
      secret,
      blockSize: config.KEY_BLOCK_SIZE,
      poolSize: config.KEY_POOL_SIZE,
      poolLowWatermark: config.KEY_POOL_LOW_WATERMARK,
    },
  });
  const analytics = createAnalytics({ sql, reads: replicated?.readView(), clock });

  const timelines: TimelineStore =
    redisFor === undefined
      ? new MemoryTimelineStore({ capacity: config.FEED_TIMELINE_CAPACITY })
      : new RedisTimelineStore(redisFor.timelines, { capacity: config.FEED_TIMELINE_CAPACITY, prefix: `${config.REDIS_PREFIX}tl:` });
  // Tweets on shards (FEED_SHARDS): each shard is a database with its own outbox, relayed like the main one.
  const shardDatabases = new Map(config.feedShards.map((s) => [s.name, postgres(s.url, `feed-shard:${s.name}`, s.schema)] as const));
  const feedShards = shardDatabases.size === 0 ? undefined : await openFeedShards(sql, { shards: shardDatabases, vnodes: config.FEED_SHARD_VNODES });
  // Processes follow a reshard through the main database's ring (writes also find it on their shard).
  const ringTimer = feedShards && setInterval(() => feedShards.shards.refresh().catch((err: unknown) => logger.warn({ err }, 'feed ring refresh failed')), 1_000).unref();
  let clicks: ClickRecorder | undefined;
  let rateLimits: RateLimitStore | undefined;
  let accounts: Accounts | undefined;
  if (role === 'api') {
    accounts = createAccounts({
      sql,
      clock,
      ids,
      logger,
      dataDir: config.DATA_DIR,
      issuer: config.JWT_ISSUER ?? config.PUBLIC_URL,
      audience: config.JWT_AUDIENCE,
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: config.REFRESH_TOKEN_TTL_DAYS * 86_400,
      signingKeyPem: config.JWT_PRIVATE_KEY,
      passwordHash: { memoryCost: config.PASSWORD_HASH_MEMORY_KIB, timeCost: config.PASSWORD_HASH_ITERATIONS, parallelism: config.PASSWORD_HASH_PARALLELISM },
      trustedOrigins: config.trustedOrigins,
      bus: pubsub,
    });
    await accounts.start();
    rateLimits = redisFor?.ratelimit === undefined ? new MemoryRateLimitStore({ clock }) : leasedRateLimits(new RedisRateLimitStore(redisFor.ratelimit, { prefix: `${config.REDIS_PREFIX}rl:`, ...(options.clock ? { clock } : {}) }), config, clock);
    keys.start?.();
    clicks = analytics.createRecorder(queue, ids, metrics, logger, {
      flushIntervalMs: config.CLICKS_FLUSH_INTERVAL_MS,
      batchSize: config.CLICKS_BATCH_SIZE,
      bufferLimit: config.CLICKS_BUFFER_LIMIT,
    });
    registerQueueGauges(metrics, queue, QUEUE_TOPICS);
  }

  const users = accounts?.directory ?? createUserDirectory(sql);
  const feed = createFeed({
    sql,
    shards: feedShards?.shards,
    clock,
    ids,
    users: accounts?.directory,
    timelines,
    celebrityThreshold: config.FEED_CELEBRITY_THRESHOLD,
    inactiveDays: config.FEED_INACTIVE_DAYS,
    fanoutBatch: config.FEED_FANOUT_BATCH,
    bus: pubsub,
    // The relays below need the feed's routes; a write notifies whichever exist by then.
    outbox: { notify: () => outbox?.notify() },
    onTimelineError: (err) => logger.warn({ err }, 'timeline store failed; reading from the database'),
  });
  // Each database with an outbox (the main one, every feed shard) has a relay; the api role runs them.
  const relays =
    role === 'api'
      ? [['main', sql] as const, ...shardDatabases].map(([name, db]) => new OutboxRelay(db, queue, { routes: feed.relayRoutes, key: `outbox:${name}`, onError: (err) => logger.warn({ err }, 'outbox relay failed') }))
      : [];
  const outbox: OutboxRelays | undefined =
    relays.length === 0
      ? undefined
      : {
          start: () => relays.forEach((r) => r.start()),
          notify: () => relays.forEach((r) => r.notify()),
          drain: async () => void (await Promise.all(relays.map((r) => r.drain()))),
          stop: async () => void (await Promise.all(relays.map((r) => r.stop()))),
        };
  const oauth = accounts && createOAuth({
    sql, clock, ids, accounts, publicUrl: config.PUBLIC_URL, accessTokenTtlSeconds: config.OAUTH_ACCESS_TOKEN_TTL_SECONDS, grantTtlSeconds: config.REFRESH_TOKEN_TTL_DAYS * 86_400,
    sessionSeconds: config.ACCESS_TOKEN_TTL_SECONDS, pkce: config.OAUTH_PKCE, passwordGrant: config.OAUTH_PASSWORD_GRANT === 'on',
  });
  const search = createSearch({ sql, users });
  const notifications = createNotifications({ sql, users, pubsub, clock, ids, onError: (err) => logger.warn({ err }, 'live notification failed') });

  const stream =
    accounts === undefined
      ? undefined
      : createStream({
          pubsub,
          authenticate: (authorization) => oauth!.authenticate(authorization),
          onSessionRevoked: (listener) => accounts!.onSessionRevoked(listener),
          replayEvents: config.STREAM_REPLAY_EVENTS,
          heartbeatSeconds: config.STREAM_HEARTBEAT_SECONDS,
          clock,
        });
  const mastodon = oauth && stream && createMastodon({
    sql, clock, feed, users, notifications, search, stream, publicUrl: config.PUBLIC_URL, authenticate: (authorization) => oauth.authenticate(authorization),
    onError: (err) => logger.warn({ err }, 'mastodon streaming failed'),
  });
  outbox?.start();
  const tracing = createTracing({ serviceName: config.OTEL_SERVICE_NAME ?? `blueprint-${[...config.roles].join('-')}`, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, exporter: options.spanExporter });
  const registry = redisFor?.registry === undefined ? undefined : new RedisServiceRegistry(redisFor.registry, { prefix: `${config.REDIS_PREFIX}registry:` });

  return {
    config, role, logger, metrics, clock, ids, sql, cache, queue, queueTopics: QUEUE_TOPICS, links, keys, analytics, clicks, rateLimits, accounts,
    timelines, feed, feedShards: feedShards?.shards, search, notifications, pubsub, oauth, mastodon, stream, outbox, registry, tracing,
    async close() {
      await registry?.close();
      await stream?.close();
      await clicks?.close();
      // Committed events reach the durable queue before it closes.
      await outbox?.stop();
      await accounts?.close();
      await rateLimits?.close();
      await keys.stop?.();
      await queue.close();
      await timelines.close();
      // The near cache listens on the bus: it goes first.
      await cache.close();
      await pubsub.close();
      await redis?.close();
      clearInterval(ringTimer);
      await feedShards?.sharded.close();
      await sql.close();
      await tracing.close();
    },
  };
}

/** The queue the configuration names (also used alone by the command line). */
/** The schema the api role migrates the main database to at start. */
function apiMigrations(dialect: SqlDatabase<unknown>['dialect']): Record<string, Migration> {
  return {
    ...linksMigrations,
    ...analyticsMigrationsFor(dialect),
    ...accountsMigrations,
    ...outboxMigrationsFor(dialect),
    ...feedMigrations(dialect),
    // The feed's shard ring (FEED_SHARDS), kept here for every process to follow.
    ...ringMigrations,
    ...searchMigrations(dialect),
    ...notificationsMigrations,
    ...oauthMigrations,
    ...mastodonMigrations,
  };
}

/** The main database for a command-line tool, migrated as the api role would (no replicas, no pool events). */
export async function openMainDatabase(config: Config): Promise<SqlDatabase<unknown>> {
  const sql: SqlDatabase<unknown> =
    config.DATABASE_URL === undefined
      ? new SqliteDatabase({ filename: join(config.DATA_DIR, 'blueprint.db'), synchronous: config.SQLITE_SYNCHRONOUS })
      : new PostgresDatabase({ connectionString: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, poolSize: 1 });
  await sql.migrate(apiMigrations(sql.dialect));
  return sql;
}

export function openQueue(config: Config, logger: Logger): QueuePort {
  const onError = (err: unknown) => logger.warn({ err }, 'queue error');
  if (config.AMQP_URL !== undefined) {
    return new RabbitMqQueue({ url: config.AMQP_URL, prefix: config.AMQP_PREFIX, maxAttempts: config.QUEUE_MAX_ATTEMPTS, onError });
  }
  return new SqliteQueue({
    filename: join(config.DATA_DIR, 'queue.db'),
    synchronous: config.SQLITE_SYNCHRONOUS,
    maxAttempts: config.QUEUE_MAX_ATTEMPTS,
    visibilityTimeoutMs: config.QUEUE_VISIBILITY_TIMEOUT_MS,
    pollIntervalMs: config.QUEUE_POLL_INTERVAL_MS,
    onError,
  });
}

/** Replica lag and state, read at scrape time from the router's last probe. */
function registerReplicaGauges(metrics: Metrics, replicated: ReplicatedDatabase): void {
  new Gauge({
    name: 'db_replica_lag_seconds',
    help: 'How far each read replica is behind the primary (from WAL positions; an upper bound by one probe interval).',
    labelNames: ['replica'],
    registers: [metrics.registry],
    collect() {
      for (const r of replicated.status().replicas) if (r.lagMs !== undefined) this.set({ replica: r.name }, r.lagMs / 1000);
    },
  });
  new Gauge({
    name: 'db_replica_up',
    help: '1 when reads may go to the replica (reachable, a standby, within the lag bound).',
    labelNames: ['replica'],
    registers: [metrics.registry],
    collect() {
      for (const r of replicated.status().replicas) this.set({ replica: r.name }, r.state === 'up' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'db_reads',
    help: 'Routed reads since start: on a replica, on the primary after the caller wrote, on the primary for want of a replica, retried on the primary.',
    labelNames: ['target'],
    registers: [metrics.registry],
    collect() {
      const reads = replicated.status().reads;
      this.set({ target: 'replica' }, reads.replica);
      this.set({ target: 'primary_after_write' }, reads.primaryAfterWrite);
      this.set({ target: 'primary_fallback' }, reads.primaryFallback);
      this.set({ target: 'retried' }, reads.retriedOnPrimary);
    },
  });
}

/** Queue depth and lag, read at scrape time; both gauges share one stats call per topic per scrape. */
function registerQueueGauges(metrics: Metrics, queue: QueuePort, topics: readonly string[]): void {
  let current: { at: number; stats: Promise<QueueStats[]> } | undefined;
  const read = () => {
    const now = Date.now();
    if (current === undefined || now - current.at > 250) current = { at: now, stats: Promise.all(topics.map((t) => queue.stats(t))) };
    return current.stats;
  };
  new Gauge({
    name: 'queue_messages',
    help: 'Messages per topic and state.',
    labelNames: ['topic', 'state'],
    registers: [metrics.registry],
    async collect() {
      (await read()).forEach((s, i) => {
        const topic = topics[i]!;
        this.set({ topic, state: 'ready' }, s.ready);
        this.set({ topic, state: 'in_flight' }, s.inFlight);
        this.set({ topic, state: 'delayed' }, s.delayed);
        this.set({ topic, state: 'dead' }, s.deadLettered);
      });
    },
  });
  new Gauge({
    name: 'queue_lag_seconds',
    help: 'Age of the oldest unacknowledged message per topic.',
    labelNames: ['topic'],
    registers: [metrics.registry],
    async collect() {
      (await read()).forEach((s, i) => this.set({ topic: topics[i]! }, s.oldestAgeMs / 1000));
    },
  });
}
