import type { Migration } from 'kysely';
import type { SqlDatabase } from '../sql/index.js';
import { HashStrategy, type RingConfig } from './hash-strategy.js';
import { ShardingError } from './shard-strategy.js';
import type { ShardedDatabase } from './sharded-database.js';
import { checkTable, deleteKeys, deletePks, existingPks, highWater, keyPages, pkText, rowPages, upsert, type AnySelect, type Row, type ShardedTable } from './sharded-table.js';

export type ReshardPhase = 'copy' | 'catch-up' | 'reconcile' | 'cleanup';

/** Cumulative figures of one table on one source shard (the new shard for `reconcile`). */
export interface ReshardProgress {
  readonly phase: ReshardPhase;
  readonly table: string;
  readonly shard: string;
  /** Rows copied (copy, catch-up), removed from the new shard (reconcile) or from the old one (cleanup). */
  readonly rows: number;
  /** Moving keys met (copy, cleanup). */
  readonly keys: number;
}

export interface AddShardOptions<DB> {
  /** Name of the new shard. */
  shard: string;
  /** Its database: the tables below exist in it (or `migrations` create them), empty. */
  database: SqlDatabase<DB>;
  /** Applied to the new shard's database first, when given. */
  migrations?: Record<string, Migration>;
  /** The tables to move rows of; all are keyed by the same user id. */
  tables: readonly ShardedTable[];
  /** Rows (and keys) per query (default 1,000). */
  batchSize?: number;
  /**
   * Deletes, inside the fence, rows of the new shard that their old shard no longer has (deleted
   * while the copy ran). Default true; false shortens the fence for tables that never delete.
   */
  reconcileDeletes?: boolean;
  /** Told after every batch; the resharding waits for a promise it answers (to throttle it). */
  onProgress?: (progress: ReshardProgress) => void | Promise<void>;
  /**
   * How writes are held back: by default the in-process gate of `sharded.write`
   * ({@link gateFence}); {@link ringRowFence} when writers are other processes.
   */
  fence?: ReshardFence;
  /**
   * Waits this long between the switch and the cleanup (default 0): readers in other processes
   * route by the ring they hold until they follow the new one, and find the moved rows on their
   * old shard meanwhile.
   */
  cleanupDelayMs?: number;
}

/** A fence that is up: the catch-up runs under it. */
export interface RaisedFence {
  /** Routes by `next` from now on (in every process, for a shared fence) and lets writes go. */
  commit(next: HashStrategy, target: SqlDatabase): Promise<void>;
  /** Lets writes go without switching (a failure before the switch); nothing after `commit`. */
  lift(): Promise<void>;
}

/** How a reshard waits for writes and holds them back: in one process or among several. */
export interface ReshardFence {
  /** Resolves once every write of a moving key that began before the call has finished. */
  settle(moving: (key: string) => boolean): Promise<void>;
  /** Holds back new writes of (at least) the moving keys; resolves once those in flight finished. */
  raise(moving: (key: string) => boolean): Promise<RaisedFence>;
}

/** The fence of writers that all go through `sharded.write` in this process: only moving keys wait. */
export function gateFence<DB>(sharded: ShardedDatabase<DB>): ReshardFence {
  return {
    async settle(moving) {
      const epoch = sharded.writes.mark();
      await sharded.writes.drain((w) => w.epoch < epoch && moving(w.key));
    },
    async raise(moving) {
      const fence = sharded.writes.fence(moving);
      try {
        await fence.drained;
      } catch (error) {
        fence.lift();
        throw error;
      }
      return {
        // The switch and the lift in the same turn: held-back writes route by the next ring.
        async commit(next) {
          try {
            sharded.switchStrategy(next);
          } finally {
            fence.lift();
          }
        },
        async lift() {
          fence.lift();
        },
      };
    },
  };
}

/** What a table's resharding did. */
export interface TableReshard {
  /** Rows written to the new shard by the bulk copy (idempotent upserts). */
  copied: number;
  /** Rows written again by the catch-up, inside the fence. */
  caughtUp: number;
  /** Rows removed from the new shard by the reconcile (deleted at their source during the copy). */
  reconciled: number;
  /** Rows removed from their old shard after the switch: the rows that changed owner. */
  moved: number;
}

export interface ReshardReport {
  readonly from: RingConfig;
  readonly to: RingConfig;
  readonly tables: Readonly<Record<string, TableReshard>>;
  /** How long writes of moving keys were held back. */
  readonly fencedMs: number;
}

/**
 * Adds `options.shard` to the hash ring of `sharded` online, moving only the rows whose key the
 * new ring gives to it (consistent hashing: about 1/(N+1) of them, from every old shard).
 *
 * The protocol, for every table at once:
 * 1. read each old shard's high-water mark of `changedColumn`, then start a write epoch and wait
 *    for the writes of moving keys that began before it: every write the bulk copy may miss
 *    began after the mark was read, so it writes a value at or above the mark;
 * 2. bulk copy, while writes still go to the old owners: the moving keys' rows, by pages of keys
 *    and of primary keys, upserted into the new shard (idempotent: a rerun rewrites the same rows);
 * 3. fence: hold back new writes of moving keys only (other keys never wait), and wait for those
 *    in flight;
 * 4. catch-up: copy again the moving rows at or above the high-water mark (every moving row when
 *    a table has no `changedColumn`), then reconcile deletes: drop from the new shard the rows
 *    their old shard no longer has;
 * 5. switch to the next ring version and lift the fence in the same turn: held-back writes
 *    route again and go to the new shard;
 * 6. cleanup: delete the moved rows from their old shards.
 * No write is lost: a write of a moving key either finished before the fence (then its row is on
 * the old shard when the catch-up reads it) or enters after the switch (then it goes to the new
 * shard); none runs in between. Reads go to the old owner until the switch, which holds every
 * row until then, and to the new one after. Between the switch and the end of the cleanup, moved
 * rows also remain on their old shard: scatter-gather filters with `ShardEntry.owns`.
 *
 * With the default {@link gateFence}, only writes made through `sharded.write` are tracked, and
 * the gate is in-process: every writer of these tables must share this ShardedDatabase. Writers
 * in other processes need {@link ringRowFence} (and `cleanupDelayMs`, for their reads). A failure before the switch changes no routing (the new shard is detached);
 * running again redoes the copy idempotently. A failure in the cleanup leaves stale copies that
 * {@link deleteMovedRows} removes.
 */
export async function addShard<DB>(sharded: ShardedDatabase<DB>, options: AddShardOptions<DB>): Promise<ReshardReport> {
  const current = sharded.strategy;
  if (!(current instanceof HashStrategy)) throw new ShardingError('not_hash', 'only a hash-sharded database reshards by adding a shard');
  const tables = options.tables.map(checkTable);
  const next = current.withShard(options.shard);
  const moving = (key: string) => next.shardOf(key) === options.shard;
  const size = options.batchSize ?? 1_000;
  const sources = current.shards();
  const report: Record<string, TableReshard> = Object.fromEntries(tables.map((t) => [t.table, { copied: 0, caughtUp: 0, reconciled: 0, moved: 0 }]));
  const tell = async (phase: ReshardPhase, table: string, shard: string, rows: number, keys: number) => options.onProgress?.({ phase, table, shard, rows, keys });
  const target = options.database as SqlDatabase;
  const source = (name: string) => sharded.shard(name) as SqlDatabase;
  const fence = options.fence ?? gateFence(sharded);

  if (options.migrations !== undefined) await options.database.migrate(options.migrations);
  sharded.attach(options.shard, options.database);
  let fencedMs = 0;
  try {
    // 1. High-water marks before the epoch, then drain the moving writes of earlier epochs.
    const marks = new Map<string, unknown>();
    for (const t of tables) {
      if (t.changedColumn === undefined) continue;
      for (const name of sources) marks.set(`${t.table}\0${name}`, await highWater(source(name), t));
    }
    await fence.settle(moving);

    // 2. Bulk copy, every old shard at once.
    const copyKeys = async (t: ShardedTable, name: string, phase: 'copy' | 'catch-up') => {
      let rows = 0;
      let keys = 0;
      for await (const page of keyPages(source(name), t, size)) {
        const mine = page.filter((k) => moving(String(k)));
        if (mine.length === 0) continue;
        keys += mine.length;
        for await (const batch of rowPages(source(name), t, size, (q) => q.where(t.keyColumn, 'in', mine))) {
          await upsert(target, t, batch);
          rows += batch.length;
          await tell(phase, t.table, name, rows, keys);
        }
      }
      return rows;
    };
    for (const t of tables) {
      const counts = await settleAll(sources.map((name) => copyKeys(t, name, 'copy')));
      report[t.table]!.copied = sum(counts);
    }

    // 3. The fence, on moving keys only.
    const fencedAt = performance.now();
    const raised = await fence.raise(moving);
    try {
      // 4. Catch-up and reconcile.
      for (const t of tables) {
        const counts = await settleAll(sources.map(async (name) => {
          if (t.changedColumn === undefined) return copyKeys(t, name, 'catch-up');
          const mark = marks.get(`${t.table}\0${name}`);
          let rows = 0;
          const since = (q: AnySelect) => (mark === null ? q : q.where(t.changedColumn!, '>=', mark));
          for await (const batch of rowPages(source(name), t, size, since)) {
            const mine = batch.filter((row) => moving(String(row[t.keyColumn])));
            await upsert(target, t, mine);
            rows += mine.length;
            await tell('catch-up', t.table, name, rows, 0);
          }
          return rows;
        }));
        report[t.table]!.caughtUp = sum(counts);
        if (options.reconcileDeletes ?? true) report[t.table]!.reconciled = await reconcile(t, target, source, current, moving, size, (rows) => tell('reconcile', t.table, options.shard, rows, 0));
      }
      // 5. Switch, and let the writes go.
      await raised.commit(next, target);
    } finally {
      await raised.lift();
      fencedMs = performance.now() - fencedAt;
    }
  } catch (error) {
    if (sharded.strategy !== next) {
      try {
        sharded.detach(options.shard);
      } catch {
        // Closed meanwhile: the original error is the one to report.
      }
    }
    throw error;
  }

  // 6. Cleanup.
  if ((options.cleanupDelayMs ?? 0) > 0) await new Promise((resolve) => setTimeout(resolve, options.cleanupDelayMs));
  for (const t of tables) {
    const counts = await settleAll(sources.map((name) => deleteMovedRowsOf(sharded, t, name, size, (rows, keys) => tell('cleanup', t.table, name, rows, keys))));
    report[t.table]!.moved = sum(counts);
  }
  return { from: current.config, to: next.config, tables: report, fencedMs };
}

/**
 * Deletes, from every shard, the rows of keys that another shard owns now (the cleanup of an
 * online reshard, to run again if that one failed); answers the rows deleted per table.
 */
export async function deleteMovedRows<DB>(sharded: ShardedDatabase<DB>, tables: readonly ShardedTable[], options: { batchSize?: number } = {}): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of tables.map(checkTable)) {
    const counts = await settleAll(sharded.strategy.shards().map((name) => deleteMovedRowsOf(sharded, t, name, options.batchSize ?? 1_000)));
    out[t.table] = sum(counts);
  }
  return out;
}

async function deleteMovedRowsOf<DB>(sharded: ShardedDatabase<DB>, t: ShardedTable, name: string, size: number, tell?: (rows: number, keys: number) => Promise<void>): Promise<number> {
  const db = sharded.shard(name) as SqlDatabase;
  let rows = 0;
  let keys = 0;
  for await (const page of keyPages(db, t, size)) {
    const gone = page.filter((k) => sharded.shardOf(String(k)) !== name);
    if (gone.length === 0) continue;
    keys += gone.length;
    rows += await deleteKeys(db, t, gone);
    await tell?.(rows, keys);
  }
  return rows;
}

/**
 * Removes from the new shard the rows that should not be there: rows of keys that do not move
 * (left by an earlier attempt) and rows their old shard no longer has (deleted during the copy).
 */
async function reconcile(t: ShardedTable, target: SqlDatabase, source: (name: string) => SqlDatabase, current: HashStrategy, moving: (key: string) => boolean, size: number, tell: (rows: number) => Promise<void>): Promise<number> {
  let removed = 0;
  for await (const page of rowPages(target, t, size, (q) => q, [...t.primaryKey, t.keyColumn])) {
    const stale: Row[] = [];
    const bySource = new Map<string, Row[]>();
    for (const row of page) {
      const key = String(row[t.keyColumn]);
      if (!moving(key)) {
        stale.push(row);
        continue;
      }
      const owner = current.shardOf(key);
      let list = bySource.get(owner);
      if (list === undefined) bySource.set(owner, (list = []));
      list.push(row);
    }
    for (const [owner, rows] of bySource) {
      const present = await existingPks(source(owner), t, rows);
      for (const row of rows) if (!present.has(pkText(t, row))) stale.push(row);
    }
    if (stale.length > 0) {
      removed += await deletePks(target, t, stale);
      await tell(removed);
    }
  }
  return removed;
}

/** Promise.all that rejects only once every promise settled: no copy keeps running after a failure. */
async function settleAll<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const outcomes = await Promise.allSettled(promises);
  const failed = outcomes.find((o) => o.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return outcomes.map((o) => (o as PromiseFulfilledResult<T>).value);
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
