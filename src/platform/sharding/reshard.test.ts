import type { Kysely, Migration } from 'kysely';
import { expect, it } from 'vitest';
import type { SqlDatabase } from '../sql/index.js';
import { describeEachDialect, type TestDialect } from '../sql/testing/test-databases.js';
import { HashStrategy } from './hash-strategy.js';
import { RangeStrategy } from './range-strategy.js';
import { addShard, deleteMovedRows, type ReshardProgress } from './reshard.js';
import { ShardedDatabase } from './sharded-database.js';
import type { ShardedTable } from './sharded-table.js';

interface Tables {
  items: { id: number; user_id: number; body: string; rev: number };
  inbox: { user_id: number; item_id: number; note: string };
}

const MIGRATIONS: Record<string, Migration> = {
  'test/0001_items': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('items')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('rev', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('items_user_idx').on('items').column('user_id').execute();
      // A composite primary key, led by the shard key (a timeline's shape).
      await db.schema
        .createTable('inbox')
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('item_id', 'bigint', (c) => c.notNull())
        .addColumn('note', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('inbox_pk', ['user_id', 'item_id'])
        .execute();
    },
  },
};

const ITEMS: ShardedTable = { table: 'items', keyColumn: 'user_id', primaryKey: ['id'], changedColumn: 'rev' };
// No changed column: its catch-up copies every moving row again, inside the fence.
const INBOX: ShardedTable = { table: 'inbox', keyColumn: 'user_id', primaryKey: ['user_id', 'item_id'] };

async function openShards(dialect: TestDialect, names: readonly string[]): Promise<Record<string, SqlDatabase<Tables>>> {
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await dialect.open<Tables>()] as const)));
}

/** Every row of a table on every shard of `sharded` (routed ones), with the shard it sits on. */
async function everywhere<T extends keyof Tables>(sharded: ShardedDatabase<Tables>, table: T): Promise<{ shard: string; row: Tables[T] }[]> {
  const per = await sharded.gather(async (s) => ((await s.database.db.selectFrom(table).selectAll().execute()) as Tables[T][]).map((row) => ({ shard: s.name, row })));
  return per.flat();
}

describeEachDialect('addShard', (dialect) => {
  async function seeded() {
    const strategy = HashStrategy.of(['s0', 's1', 's2'], { vnodes: 64 });
    const sharded = new ShardedDatabase({ shards: await openShards(dialect, ['s0', 's1', 's2']), strategy });
    await sharded.migrate(MIGRATIONS);
    for (let id = 1; id <= 300; id++) {
      const user = (id % 60) + 1;
      await sharded.write(BigInt(user), async (database) => {
        await database.db.insertInto('items').values({ id, user_id: user, body: `b${id}`, rev: id }).execute();
        if (id % 2 === 0) await database.db.insertInto('inbox').values({ user_id: user, item_id: id, note: `n${id}` }).execute();
      });
    }
    return { sharded, strategy, next: strategy.withShard('s3') };
  }

  it('carries updates, deletes and inserts made to moving keys during the copy, and moves only moving keys', async () => {
    const { sharded, strategy, next } = await seeded();
    const movingUsers = Array.from({ length: 60 }, (_, i) => i + 1).filter((u) => next.shardOf(BigInt(u)) === 's3');
    expect(movingUsers.length).toBeGreaterThan(3);
    let rev = 1_000;
    const events: ReshardProgress[] = [];
    const raced = new Set<string>();
    const onProgress = async (p: ReshardProgress) => {
      events.push(p);
      if (p.phase !== 'copy' || raced.has(p.table)) return;
      // Rows of this source the copy has just taken (inbox rows exist for odd users only): change
      // them behind its back.
      const user = movingUsers.find((u) => strategy.shardOf(BigInt(u)) === p.shard && (p.table === 'items' || u % 2 === 1));
      if (user === undefined) return;
      raced.add(p.table);
      await sharded.write(BigInt(user), async (database) => {
        if (p.table === 'items') {
          const [first, second] = await database.db.selectFrom('items').select('id').where('user_id', '=', user).orderBy('id').limit(2).execute();
          await database.db.updateTable('items').set({ body: 'edited', rev: ++rev }).where('id', '=', first!.id).execute();
          await database.db.deleteFrom('items').where('id', '=', second!.id).execute();
          await database.db.insertInto('items').values({ id: 10_000, user_id: user, body: 'new', rev: ++rev }).execute();
        } else {
          const [first, second] = await database.db.selectFrom('inbox').select('item_id').where('user_id', '=', user).orderBy('item_id').limit(2).execute();
          await database.db.updateTable('inbox').set({ note: 'edited' }).where('user_id', '=', user).where('item_id', '=', first!.item_id).execute();
          await database.db.deleteFrom('inbox').where('user_id', '=', user).where('item_id', '=', second!.item_id).execute();
          await database.db.insertInto('inbox').values({ user_id: user, item_id: 10_000, note: 'new' }).execute();
        }
      });
    };
    const before = { items: await everywhere(sharded, 'items'), inbox: await everywhere(sharded, 'inbox') };
    const database = await dialect.open<Tables>();
    const report = await addShard(sharded, { shard: 's3', database, migrations: MIGRATIONS, tables: [ITEMS, INBOX], batchSize: 1_000, onProgress });
    expect([...raced].sort()).toEqual(['inbox', 'items']);

    expect(report.from.version).toBe(1);
    expect(report.to).toEqual({ version: 2, shards: ['s0', 's1', 's2', 's3'], vnodes: 64 });
    expect(sharded.strategy).toBeInstanceOf(HashStrategy);
    expect(sharded.version).toBe(2);
    const after = { items: await everywhere(sharded, 'items'), inbox: await everywhere(sharded, 'inbox') };
    for (const { shard, row } of [...after.items, ...after.inbox]) expect(shard).toBe(next.shardOf(String(row.user_id)));
    // Each table: one edit carried by the catch-up, one delete by the reconcile, one insert.
    expect(after.items).toHaveLength(before.items.length);
    expect(after.inbox).toHaveLength(before.inbox.length);
    expect(after.items.filter((r) => r.row.body === 'edited')).toHaveLength(1);
    expect(after.inbox.filter((r) => r.row.note === 'edited')).toHaveLength(1);
    expect(after.items.find((r) => Number(r.row.id) === 10_000)?.shard).toBe('s3');
    expect(report.tables.items!.reconciled).toBe(1);
    expect(report.tables.inbox!.reconciled).toBe(1);
    expect(report.tables.items!.caughtUp).toBe(2);
    expect(report.tables.inbox!.caughtUp).toBe(after.inbox.filter((r) => r.shard === 's3').length);
    // Moved: exactly the rows of moving keys, nothing else left its shard.
    const moving = (user: number) => movingUsers.includes(Number(user));
    expect(report.tables.items!.moved).toBe(before.items.filter((r) => moving(r.row.user_id)).length);
    expect(report.tables.inbox!.moved).toBe(before.inbox.filter((r) => moving(r.row.user_id)).length);
    for (const { shard, row } of before.items.filter((r) => !moving(r.row.user_id))) {
      expect(after.items.find((r) => Number(r.row.id) === Number(row.id))?.shard).toBe(shard);
    }
    // Progress: every phase, and the copy met only moving keys.
    expect(new Set(events.map((e) => e.phase))).toEqual(new Set(['copy', 'catch-up', 'reconcile', 'cleanup']));
    const copied = events.filter((e) => e.phase === 'copy' && e.table === 'items');
    expect(Math.max(...copied.map((e) => e.keys))).toBeLessThanOrEqual(movingUsers.length);
    await sharded.close();
  });

  it('changes no routing when it fails before the switch, and succeeds when run again', async () => {
    const { sharded, strategy } = await seeded();
    const database = await dialect.open<Tables>();
    // No migrations: the new shard has no tables, the first copy fails.
    await expect(addShard(sharded, { shard: 's3', database, tables: [ITEMS] })).rejects.toThrow();
    expect(sharded.strategy).toBe(strategy);
    expect(sharded.version).toBe(1);
    expect(() => sharded.shard('s3')).toThrow(/no database/);
    expect(sharded.writes.inflight).toBe(0);
    await sharded.write(5n, (d) => d.db.insertInto('items').values({ id: 5_000, user_id: 5, body: 'after failure', rev: 5_000 }).execute());
    const report = await addShard(sharded, { shard: 's3', database, migrations: MIGRATIONS, tables: [ITEMS, INBOX], batchSize: 7 });
    expect(report.tables.items!.moved).toBeGreaterThan(0);
    expect((await everywhere(sharded, 'items')).length).toBe(301);
    await sharded.close();
  });

  it('refuses a strategy other than a hash ring', async () => {
    const strategy = new RangeStrategy([{ from: 0n, to: null, shard: 'a' }]);
    const sharded = new ShardedDatabase({ shards: await openShards(dialect, ['a']), strategy });
    await expect(addShard(sharded, { shard: 'b', database: await dialect.open<Tables>(), tables: [ITEMS] })).rejects.toThrow(/hash/);
    await sharded.close();
  });

  it('deleteMovedRows removes rows a shard keeps for keys it no longer owns', async () => {
    const { sharded, strategy } = await seeded();
    const stranger = [...Array(100).keys()].find((u) => strategy.shardOf(BigInt(u)) !== 's0')!;
    await sharded.shard('s0').db.insertInto('items').values({ id: 9_999, user_id: stranger, body: 'stale', rev: 1 }).execute();
    expect(await deleteMovedRows(sharded, [ITEMS, INBOX], { batchSize: 5 })).toEqual({ items: 1, inbox: 0 });
    expect(await deleteMovedRows(sharded, [ITEMS])).toEqual({ items: 0 });
    await sharded.close();
  });
});
