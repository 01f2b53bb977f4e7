import type { Kysely, Migration } from 'kysely';
import { expect, it } from 'vitest';
import type { SqlDatabase } from '../sql/index.js';
import { describeEachDialect, type TestDialect } from '../sql/testing/test-databases.js';
import { HashStrategy } from './hash-strategy.js';
import { RangeStrategy } from './range-strategy.js';
import { ShardingError } from './shard-strategy.js';
import { ShardedDatabase } from './sharded-database.js';

interface Tables {
  tweets: { id: number; author_id: number; text: string };
}

const MIGRATIONS: Record<string, Migration> = {
  'test/0001_tweets': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('tweets')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('author_id', 'bigint', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .execute();
    },
  },
};

async function openShards(dialect: TestDialect, names: readonly string[]): Promise<Record<string, SqlDatabase<Tables>>> {
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await dialect.open<Tables>()] as const)));
}

const count = async (database: SqlDatabase<Tables>) => (await database.db.selectFrom('tweets').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;

describeEachDialect('ShardedDatabase', (dialect) => {
  it('migrates every shard, writes each key on its shard, reads it back there, and gathers all', async () => {
    const strategy = HashStrategy.of(['a', 'b', 'c']);
    const sharded = new ShardedDatabase({ shards: await openShards(dialect, ['a', 'b', 'c']), strategy });
    await sharded.migrate(MIGRATIONS);
    await sharded.migrate(MIGRATIONS);
    for (let id = 1; id <= 300; id++) {
      const author = id % 60;
      const shard = await sharded.write(BigInt(author), async (database, name) => {
        await database.db.insertInto('tweets').values({ id, author_id: author, text: `t${id}` }).execute();
        return name;
      });
      expect(shard).toBe(strategy.shardOf(BigInt(author)));
    }
    for (const author of [0, 7, 59]) {
      const rows = await sharded.forKey(BigInt(author)).db.selectFrom('tweets').select('id').where('author_id', '=', author).execute();
      expect(rows).toHaveLength(5);
    }
    expect(sharded.all().map((s) => s.name)).toEqual(['a', 'b', 'c']);
    const counts = await sharded.gather((s) => count(s.database));
    expect(counts.reduce((x, y) => x + y, 0)).toBe(300);
    expect(counts.every((n) => n > 30)).toBe(true);
    // Every row sits where the strategy says, and `owns` agrees.
    for (const shard of sharded.all()) {
      const authors = await shard.database.db.selectFrom('tweets').select('author_id').distinct().execute();
      for (const { author_id } of authors) {
        expect(strategy.shardOf(String(author_id))).toBe(shard.name);
        expect(shard.owns(String(author_id))).toBe(true);
      }
    }
    expect(sharded.version).toBe(1);
    await sharded.close();
    expect(() => sharded.forKey(1n)).toThrow(/closed/);
  });

  it('routes by a range strategy just the same', async () => {
    const strategy = new RangeStrategy([
      { from: 0n, to: 100n, shard: 'low' },
      { from: 100n, to: null, shard: 'high' },
    ]);
    const sharded = new ShardedDatabase({ shards: await openShards(dialect, ['low', 'high']), strategy });
    await sharded.migrate(MIGRATIONS);
    for (const author of [5, 99, 100, 5000]) {
      await sharded.write(BigInt(author), (database) => database.db.insertInto('tweets').values({ id: author, author_id: author, text: '' }).execute());
    }
    expect(await count(sharded.shard('low'))).toBe(2);
    expect(await count(sharded.shard('high'))).toBe(2);
    await expect(sharded.write(-1n, async () => undefined)).rejects.toThrow(/no shard owns/);
    await sharded.close();
  });

  it('holds a fenced write back, then routes it by the strategy switched to', async () => {
    const before = HashStrategy.of(['a', 'b']);
    const after = before.withShard('c');
    const shards = await openShards(dialect, ['a', 'b', 'c']);
    const { c, ...routed } = shards;
    const sharded = new ShardedDatabase({ shards: routed, strategy: before });
    sharded.attach('c', c!);
    await sharded.migrate(MIGRATIONS);
    expect(sharded.all().map((s) => s.name)).toEqual(['a', 'b']);
    const key = [...Array(1000).keys()].map(BigInt).find((k) => after.shardOf(k) === 'c')!;
    const fence = sharded.writes.fence((k) => after.shardOf(k) === 'c');
    await fence.drained;
    let landed: string | undefined;
    const held = sharded.write(key, async (database, shard) => {
      await database.db.insertInto('tweets').values({ id: 1, author_id: Number(key), text: 'held' }).execute();
      landed = shard;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(landed).toBeUndefined();
    sharded.switchStrategy(after);
    fence.lift();
    await held;
    expect(landed).toBe('c');
    expect(sharded.version).toBe(2);
    expect(await count(sharded.shard('c'))).toBe(1);
    await sharded.close();
  });

  it('refuses a strategy naming a shard without a database, and misuse of attach and detach', async () => {
    const shards = await openShards(dialect, ['a', 'b']);
    expect(() => new ShardedDatabase({ shards: { a: shards.a! }, strategy: HashStrategy.of(['a', 'b']) })).toThrow(/without a database: b/);
    const sharded = new ShardedDatabase({ shards: new Map(Object.entries(shards)), strategy: HashStrategy.of(['a']) });
    expect(() => sharded.switchStrategy(HashStrategy.of(['a', 'z']))).toThrow(ShardingError);
    expect(() => sharded.attach('a', shards.b!)).toThrow(/already/);
    expect(() => sharded.detach('a')).toThrow(/routed/);
    expect(sharded.detach('b')).toBe(shards.b);
    expect(() => sharded.shard('b')).toThrow(/no database for shard b/);
    await sharded.close();
    await shards.b!.close();
  });

  it('names the shard whose migration failed', async () => {
    const sharded = new ShardedDatabase({ shards: await openShards(dialect, ['a', 'b']), strategy: HashStrategy.of(['a', 'b']) });
    await sharded.shard('b').db.schema.createTable('tweets').addColumn('id', 'integer').execute();
    await expect(sharded.migrate(MIGRATIONS)).rejects.toThrow(/migration failed on shard b/);
    await sharded.close();
  });
});
