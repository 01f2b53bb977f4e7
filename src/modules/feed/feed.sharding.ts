import { outboxMigrationsFor } from '../../platform/outbox/index.js';
import {
  addShard,
  HashStrategy,
  loadOrInitRing,
  readRing,
  ringMigrations,
  ringRowFence,
  ShardedDatabase,
  ShardingError,
  type ReshardProgress,
  type RingConfig,
  type ReshardReport,
} from '../../platform/sharding/index.js';
import { tablesOf, type SqlDatabase } from '../../platform/sql/index.js';
import { feedMigrations } from './feed.migrations.js';
import { FEED_SHARDED_TABLES, FeedShards } from './feed.shards.js';
import type { FeedTables } from './feed.tables.js';

/** The feed's shards as configured (FEED_SHARDS): a database per name. */
export interface FeedShardSpec {
  readonly shards: ReadonlyMap<string, SqlDatabase>;
  /** Points per shard on the ring (used when the ring is first created). */
  readonly vnodes: number;
}

/** What every shard's database holds: the feed's tables, an outbox for their events, the ring row. */
function shardMigrations(database: SqlDatabase) {
  return { ...feedMigrations(database.dialect), ...outboxMigrationsFor(database.dialect), ...ringMigrations };
}

/**
 * Opens the feed's shards: migrates each, loads the ring from the main database (on the first
 * start, every configured shard is on it), and answers the shards the feed routes by, together
 * with the sharded database under them. A configured shard the ring does not name yet is attached
 * unrouted: `blueprint reshard --add` puts it on the ring.
 */
export async function openFeedShards(main: SqlDatabase, spec: FeedShardSpec): Promise<{ shards: FeedShards; sharded: ShardedDatabase }> {
  if (spec.shards.size === 0) throw new ShardingError('bad_ring', 'FEED_SHARDS names no shard');
  for (const database of spec.shards.values()) await database.migrate(shardMigrations(database));
  const database = (name: string) => {
    const found = spec.shards.get(name);
    if (found === undefined) throw new ShardingError('unknown_shard', `the ring names shard ${name}, which FEED_SHARDS does not configure`);
    return found;
  };
  const ring = await loadOrInitRing(main, database, { version: 1, shards: [...spec.shards.keys()], vnodes: spec.vnodes });
  for (const name of ring.shards) database(name);
  const sharded = new ShardedDatabase({ shards: spec.shards, strategy: new HashStrategy(ring) });
  return { shards: new FeedShards({ main, shards: sharded }), sharded };
}

export interface ReshardFeedOptions {
  /** The new shard: configured in `spec`, not on the ring yet, empty. */
  shard: string;
  /** Between the switch and the cleanup: longer than the processes' ring refresh (1 s). */
  cleanupDelayMs: number;
  batchSize?: number | undefined;
  onProgress?: ((progress: ReshardProgress) => void | Promise<void>) | undefined;
}

/**
 * Adds a shard to the feed's ring, online, while API and worker processes keep writing: only the
 * authors the new ring gives to it move (tweets and likes), under a fence shared by every process
 * (the ring row of each old shard, locked for the catch-up), then the new ring goes to every shard
 * and to the main database, which processes follow.
 */
export async function reshardFeed(main: SqlDatabase, spec: FeedShardSpec, options: ReshardFeedOptions): Promise<ReshardReport> {
  const ring = await mainRing(main);
  if (ring === null) throw new ShardingError('no_ring', 'the main database holds no feed ring yet: start the API once with FEED_SHARDS');
  if (ring.shards.includes(options.shard)) throw new ShardingError('shard_exists', `shard ${options.shard} is on the ring already (v${ring.version}: ${ring.shards.join(', ')})`);
  const database = spec.shards.get(options.shard);
  if (database === undefined) throw new ShardingError('unknown_shard', `FEED_SHARDS does not configure shard ${options.shard}`);
  const routed = new Map(ring.shards.map((name) => {
    const found = spec.shards.get(name);
    if (found === undefined) throw new ShardingError('unknown_shard', `the ring names shard ${name}, which FEED_SHARDS does not configure`);
    return [name, found] as const;
  }));
  // Not closed here: the databases are the caller's.
  const sharded = new ShardedDatabase({ shards: routed, strategy: new HashStrategy(ring) });
  return addShard(sharded, {
    shard: options.shard,
    database,
    migrations: shardMigrations(database),
    tables: FEED_SHARDED_TABLES,
    fence: ringRowFence(sharded, [main]),
    cleanupDelayMs: options.cleanupDelayMs,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
}

/** The main database's ring; null when there is none yet (or no table: the API never started). */
async function mainRing(main: SqlDatabase): Promise<RingConfig | null> {
  try {
    return await readRing(main.db);
  } catch (error) {
    // The API creates the table on its first start; before that there is no ring to read.
    if ((error as { code?: string }).code === '42P01') return null;
    throw error;
  }
}

/** One configured shard as `blueprint shards` shows it. */
export interface FeedShardStatus {
  name: string;
  /** Whether the main database's ring routes to it. */
  routed: boolean;
  /** The ring version its own ring row holds (null: none yet). */
  ringVersion: number | null;
  tweets: number;
  likes: number;
}

/** The ring and every configured shard's rows, for operators. */
export async function feedShardStatus(main: SqlDatabase, spec: FeedShardSpec): Promise<{ ring: RingConfig | null; shards: FeedShardStatus[] }> {
  const ring = await mainRing(main);
  const shards = await Promise.all(
    [...spec.shards].map(async ([name, database]) => {
      await database.migrate(shardMigrations(database));
      const db = tablesOf<FeedTables>(database).db;
      const [own, tweets, likes] = await Promise.all([
        readRing(database.db),
        db.selectFrom('tweets').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
        db.selectFrom('likes').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { name, routed: ring?.shards.includes(name) ?? false, ringVersion: own?.version ?? null, tweets: Number(tweets.n), likes: Number(likes.n) };
    }),
  );
  return { ring, shards };
}
