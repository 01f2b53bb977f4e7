import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { ConnectionEvent } from '../observability/metrics.js';
import type { Adapters } from '../shared/module.js';
import { LruCacheAdapter, NearCache, type CachePort } from '../platform/cache/index.js';
import { RedisCacheAdapter } from '../platform/cache/redis/index.js';
import { MemoryPresenceRegistry, MemoryPresenceStore, type PresenceRegistry } from '../platform/presence/index.js';
import { RedisPresenceRegistry } from '../platform/presence/redis/index.js';
import type { PubSubPort } from '../platform/pubsub/index.js';
import { MemoryPubSub } from '../platform/pubsub/memory/index.js';
import { RedisPubSub } from '../platform/pubsub/redis/index.js';
import type { QueuePort } from '../platform/queue/index.js';
import { RabbitMqQueue } from '../platform/queue/rabbitmq/index.js';
import { SqliteQueue } from '../platform/queue/sqlite/sqlite-queue.js';
import type { SqlDatabase } from '../platform/sql/index.js';
import { PostgresDatabase } from '../platform/sql/postgres/index.js';
import { ReplicatedDatabase } from '../platform/sql/replicas/index.js';
import { SqliteDatabase } from '../platform/sql/sqlite/sqlite-database.js';
import { MemoryTimelineStore, type TimelineStore } from '../platform/timelines/index.js';
import { RedisTimelineStore } from '../platform/timelines/redis/index.js';
import { registerReplicaGauges } from './gauges.js';
import { adapterScope, openEdgeAdapters, type AdapterOptions, type EdgeAdapters } from './edge-adapters.js';

/*
 * The one place that reads the configuration to pick adapters, for every entry point (server
 * roles, worker thread, command line). Embedded adapters by default (SQLite, in-process LRU and
 * pub/sub, SQLite queue); PostgreSQL, Redis and RabbitMQ when DATABASE_URL, REDIS_URL and AMQP_URL
 * name them. Each adapter opens on first use, so a role loads only what its modules touch, and
 * registers its close with the process's lifecycle: later opened, earlier closed.
 */

/** The adapters of a process: the ports modules use, plus those of the HTTP edge. */
export interface ProcessAdapters extends Adapters, EdgeAdapters {}

/** Opens nothing yet: each adapter is opened by its first use. */
export function openAdapters(options: AdapterOptions): ProcessAdapters {
  const scope = adapterScope(options);
  const { config, logger, metrics, clock } = options;
  const { once, waits, connectionState } = scope;
  const edge = openEdgeAdapters(scope, options);
  const redis = edge.redis;

  const postgres = (url: string, client: string, schema = config.DATABASE_SCHEMA) =>
    openPostgres(config, url, { schema, onError: (err) => (logger.warn({ err, client }, 'database connection error'), connectionState('postgres', client, 'lost')), onConnect: () => connectionState('postgres', client, 'up') });

  let replicated: ReplicatedDatabase | undefined;
  const sql = once(
    (): SqlDatabase<unknown> => {
      const primary: SqlDatabase<unknown> =
        config.DATABASE_URL === undefined ? new SqliteDatabase({ filename: join(config.DATA_DIR, 'blueprint.db'), synchronous: config.SQLITE_SYNCHRONOUS }) : postgres(config.DATABASE_URL, 'pool');
      if (config.replicaUrls.length === 0) return primary;
      const routed = new ReplicatedDatabase({
        primary,
        replicas: config.replicaUrls.map((url) => ({ name: new URL(url).host, database: postgres(url, `replica:${new URL(url).host}`) })),
        readYourWritesMs: config.DATABASE_READ_YOUR_WRITES_MS,
        maxLagMs: config.DATABASE_REPLICA_MAX_LAG_MS,
        probeIntervalMs: config.DATABASE_REPLICA_PROBE_MS,
        onReplicaChange: (s) => logger.info({ replica: s.name, state: s.state, lagMs: s.lagMs, err: s.error }, 'replica state'),
      });
      registerReplicaGauges(metrics, routed);
      // Until the first probe answers, reads go to the primary.
      waits.push(() => routed.refresh());
      replicated = routed;
      return routed;
    },
    (db) => db.close(),
    ['database', (db) => db.ping()],
  );
  // Reports tolerate a replica's bounded lag: with read replicas they are read there.
  const reads = () => {
    const db = sql();
    return replicated?.readView() ?? db;
  };

  const queue = once(
    () => openQueue(config, logger, (state) => connectionState('rabbitmq', 'queue', state)),
    (q) => q.close(),
    ['queue', (q) => q.ping()],
  );

  const redisUrl = config.REDIS_URL;
  const onPubSubError = (err: unknown) => logger.warn({ err }, 'pub/sub error');
  const pubsub = once(
    (): PubSubPort =>
      redisUrl === undefined
        ? // In process, one bus per deployment: the data directory names it, so that tests sharing a process stay apart.
          new MemoryPubSub({ namespace: config.DATA_DIR, onError: onPubSubError })
        : new RedisPubSub((role, redisOptions) => redis().open(`pubsub-${role}`, redisOptions), { prefix: `${config.REDIS_PREFIX}ps:`, onError: onPubSubError }),
    (p) => p.close(),
    ['pubsub', (p) => p.ping()],
  );

  const cache = once(
    (): CachePort => {
      if (redisUrl === undefined) return new LruCacheAdapter({ maxEntries: config.CACHE_MAX_ENTRIES });
      const remote = new RedisCacheAdapter(redis().open('cache'), { prefix: `${config.REDIS_PREFIX}cache:` });
      if (config.CACHE_NEAR === 'off') return remote;
      // Two tiers: most reads never leave the process; writes invalidate every process's copy over pub/sub.
      const near = new NearCache({ remote, bus: pubsub(), maxEntries: config.CACHE_MAX_ENTRIES, clock, onError: (err) => logger.warn({ err }, 'near cache error') });
      // Redis down at start degrades the cache (reads go to the database), it does not stop the process.
      waits.push(() => near.ready().catch((err: unknown) => logger.warn({ err }, 'near cache not subscribed yet; invalidations will start when Redis answers')));
      return near;
    },
    // The near cache listens on the bus: opened after it, it closes first.
    (c) => c.close(),
    ['cache', (c) => c.ping()],
  );

  const timelines = once(
    (): TimelineStore =>
      redisUrl === undefined
        ? new MemoryTimelineStore({ capacity: config.FEED_TIMELINE_CAPACITY })
        : // Reads of one turn of the event loop leave in one write (a syscall per read cost a quarter of a scaled home read).
          new RedisTimelineStore(redis().open('timelines', { enableAutoPipelining: true }), { capacity: config.FEED_TIMELINE_CAPACITY, prefix: `${config.REDIS_PREFIX}tl:` }),
    (t) => t.close(),
    ['timelines', (t) => t.ping()],
  );

  // Tweets on shards (FEED_SHARDS): each shard is a database of its own.
  const shardDatabases = once(
    () => new Map(config.feedShards.map((s) => [s.name, postgres(s.url, `feed-shard:${s.name}`, s.schema)] as const)),
    async (shards) => void (await Promise.allSettled([...shards.values()].map((d) => d.close()))),
  );

  // Beside the pub/sub it routes over: in process (one per data directory, as the bus), or in Redis.
  const presence = once(
    (): PresenceRegistry =>
      redisUrl === undefined
        ? new MemoryPresenceRegistry({ clock, store: MemoryPresenceStore.named(config.DATA_DIR) })
        : new RedisPresenceRegistry(redis().open('presence'), { prefix: `${config.REDIS_PREFIX}presence:` }),
    // No readiness check of its own: it shares REDIS_URL with the pub/sub, whose check covers it.
    (p) => p.close(),
  );

  return {
    get sql() {
      return sql();
    },
    get reads() {
      return reads();
    },
    get queue() {
      return queue();
    },
    get pubsub() {
      return pubsub();
    },
    get cache() {
      return cache();
    },
    get timelines() {
      return timelines();
    },
    get shardDatabases() {
      return shardDatabases();
    },
    get presence() {
      return presence();
    },
    get rateLimits() {
      return edge.rateLimits;
    },
    get registry() {
      return edge.registry;
    },
    checks: edge.checks,
    ready: edge.ready,
  };
}

/** A PostgreSQL pool as the configuration sizes it (the command line opens its own). */
export function openPostgres(
  config: Config,
  url: string,
  options: { schema?: string | undefined; poolSize?: number; onError?: (err: Error) => void; onConnect?: () => void } = {},
): PostgresDatabase {
  return new PostgresDatabase({
    connectionString: url,
    schema: options.schema,
    poolSize: options.poolSize ?? config.DATABASE_POOL_SIZE,
    ...(options.onError === undefined ? {} : { onError: options.onError }),
    ...(options.onConnect === undefined ? {} : { onConnect: options.onConnect }),
  });
}

/** The queue the configuration names (also opened alone by the command line). */
export function openQueue(config: Config, logger: Logger, onConnection?: (state: ConnectionEvent['state']) => void): QueuePort {
  const onError = (err: unknown) => logger.warn({ err }, 'queue error');
  if (config.AMQP_URL !== undefined) {
    const queue = new RabbitMqQueue({ url: config.AMQP_URL, prefix: config.AMQP_PREFIX, maxAttempts: config.QUEUE_MAX_ATTEMPTS, onError });
    if (onConnection !== undefined) {
      queue.connection.onUp(() => onConnection('up'));
      queue.connection.onDown(() => onConnection('lost'));
    }
    return queue;
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
