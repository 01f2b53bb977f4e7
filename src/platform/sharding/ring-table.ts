import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDatabase } from '../sql/index.js';
import { HashStrategy, type RingConfig } from './hash-strategy.js';
import type { ReshardFence } from './reshard.js';
import { ShardingError } from './shard-strategy.js';
import type { ShardedDatabase } from './sharded-database.js';

/**
 * The ring shared by processes: one row (`shard_ring`, id 1) in the directory database and in
 * every shard, holding the ring's config as JSON. Processes load it at start and follow it; each
 * write on a shard takes that shard's row `for share` first and checks the version it routed by.
 * Resharding takes the rows of the old shards `for update`: that is the fence, shared by every
 * process, since the row lock lives in the shard's own database.
 */
export interface ShardRingTables {
  shard_ring: { id: number; version: number; config: string };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the ring table is part of any schema
type AnyDb = Kysely<any>;

export const ringMigrations: Record<string, Migration> = {
  'sharding/0001_ring': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('shard_ring')
        .ifNotExists()
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        .execute();
    },
  },
};


function parse(row: { config: string } | undefined): RingConfig | null {
  if (row === undefined) return null;
  const config = JSON.parse(row.config) as RingConfig;
  // Validates it: a corrupt row is an error here, not a wrong route later.
  return new HashStrategy(config).config;
}

/** The ring stored in `db` (a database or a transaction on one), or null when none is yet. */
export async function readRing(db: AnyDb): Promise<RingConfig | null> {
  return parse(await (db as AnyDb).selectFrom('shard_ring').select('config').where('id', '=', 1).executeTakeFirst());
}

/**
 * The ring stored in the shard of transaction `trx`, with its row locked until `trx` ends:
 * `share` for a write (many at once; a reshard's fence waits for them, and they for it),
 * `update` for the fence. SQLite serialises write transactions anyway: no lock clause there.
 */
export async function lockRing(trx: AnyDb, mode: 'share' | 'update', dialect: SqlDatabase['dialect']): Promise<RingConfig | null> {
  if (dialect === 'sqlite') return readRing(trx);
  const clause = mode === 'share' ? sql`for share` : sql`for update`;
  const { rows } = await sql<{ config: string }>`select config from shard_ring where id = 1 ${clause}`.execute(trx);
  return parse(rows[0]);
}

/** Stores `config` as the ring of `db`, unless `db` holds a newer one already. */
export async function writeRing(db: AnyDb, config: RingConfig): Promise<void> {
  const text = JSON.stringify(config);
  await (db as AnyDb)
    .insertInto('shard_ring')
    .values({ id: 1, version: config.version, config: text })
    .onConflict((oc) => oc.column('id').doUpdateSet({ version: config.version, config: text }).where('shard_ring.version', '<', config.version))
    .execute();
}

/**
 * Stores `initial` in the directory and in every shard it names when the directory has no ring
 * yet (the first start); answers the directory's ring, which wins when there is one. Two
 * processes starting at once agree: the insert is conditional and both read back.
 */
export async function loadOrInitRing(directory: SqlDatabase, shards: (name: string) => SqlDatabase, initial: RingConfig): Promise<RingConfig> {
  const stored = await readRing(directory.db);
  if (stored !== null) return stored;
  for (const name of initial.shards) await writeRing(shards(name).db, initial);
  await (directory.db as AnyDb)
    .insertInto('shard_ring')
    .values({ id: 1, version: initial.version, config: JSON.stringify(initial) })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  const ring = await readRing(directory.db);
  if (ring === null) throw new ShardingError('bad_ring', 'the ring row vanished while it was being created');
  return ring;
}

/**
 * The fence of a reshard among processes: the ring row of every old shard, locked `for update`.
 * Writes lock their shard's row `for share` and check the version: while the fence is up they
 * wait (every key of the old shards, not only the moving ones: the lock is per shard), and once
 * it commits the next ring they find a newer version, adopt it and route again. `also` gets the
 * new ring after the shards (the directory other processes follow).
 */
export function ringRowFence<DB>(sharded: ShardedDatabase<DB>, also: readonly SqlDatabase[] = []): ReshardFence {
  const sources = () => sharded.strategy.shards().map((name) => sharded.shard(name) as SqlDatabase);
  const lockAll = async () => {
    const held = [];
    try {
      for (const database of sources()) {
        const trx = await database.db.startTransaction().execute();
        held.push(trx);
        await lockRing(trx, 'update', database.dialect);
      }
    } catch (error) {
      await Promise.allSettled(held.map((trx) => trx.rollback().execute()));
      throw error;
    }
    return held;
  };
  return {
    async settle() {
      // Every write that held a share lock before this has committed once the lock is ours.
      const held = await lockAll();
      await Promise.all(held.map((trx) => trx.rollback().execute()));
    },
    async raise() {
      const held = await lockAll();
      let open = true;
      return {
        async commit(next: HashStrategy, target: SqlDatabase) {
          // The new shard first: a write routed there by the next ring must find that ring.
          await writeRing(target.db, next.config);
          for (const trx of held) await writeRing(trx, next.config);
          for (const trx of held) await trx.commit().execute();
          open = false;
          sharded.switchStrategy(next);
          for (const database of also) await writeRing(database.db, next.config);
        },
        async lift() {
          if (!open) return;
          open = false;
          await Promise.allSettled(held.map((trx) => trx.rollback().execute()));
        },
      };
    },
  };
}
