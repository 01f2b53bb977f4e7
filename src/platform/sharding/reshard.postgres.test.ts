import { sql, type Kysely, type Migration } from 'kysely';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { seededRandom } from '../../lib/seeded-random.js';
import type { SqlDatabase } from '../sql/index.js';
import { TEST_DIALECTS } from '../sql/testing/test-databases.js';
import { HashStrategy } from './hash-strategy.js';
import { addShard, type ReshardProgress } from './reshard.js';
import { ShardedDatabase } from './sharded-database.js';
import type { ShardedTable } from './sharded-table.js';

const postgres = TEST_DIALECTS.find((d) => d.name === 'postgres')!;

interface Tables {
  tweets: { id: number; author_id: number; text: string };
  timelines: { user_id: number; tweet_id: number };
}

const MIGRATIONS: Record<string, Migration> = {
  'test/0001_feed': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('tweets')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('author_id', 'bigint', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
        .execute();
      await db.schema.createIndex('tweets_author_idx').on('tweets').column('author_id').execute();
      await db.schema
        .createTable('timelines')
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('tweet_id', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
        .addPrimaryKeyConstraint('timelines_pk', ['user_id', 'tweet_id'])
        .execute();
    },
  },
};

// Ids come from one counter, taken inside each write: a sequence, as `changedColumn` requires.
const TWEETS: ShardedTable = { table: 'tweets', keyColumn: 'author_id', primaryKey: ['id'], changedColumn: 'id' };
const TIMELINES: ShardedTable = { table: 'timelines', keyColumn: 'user_id', primaryKey: ['user_id', 'tweet_id'], changedColumn: 'tweet_id' };

const SEED_TWEETS = 20_000;
const SEED_ENTRIES = 10_000;
const AUTHORS = 2_000;

async function openShards(names: readonly string[]): Promise<Record<string, SqlDatabase<Tables>>> {
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await postgres.open<Tables>()] as const)));
}

/** `[key, id, shard]` of every row of a table, from every routed shard. */
async function placement(sharded: ShardedDatabase<Tables>, table: 'tweets' | 'timelines'): Promise<{ key: number; id: number; shard: string }[]> {
  const [key, id] = table === 'tweets' ? ['author_id', 'id'] : ['user_id', 'tweet_id'];
  const per = await sharded.gather(async (s) => {
    const { rows } = await sql<{ key: number; id: number }>`select ${sql.ref(key)} as key, ${sql.ref(id)} as id from ${sql.table(table)}`.execute(s.database.db);
    return rows.map((r) => ({ ...r, shard: s.name }));
  });
  return per.flat();
}

async function rowTexts(sharded: ShardedDatabase<Tables>): Promise<Map<number, string>> {
  const per = await sharded.gather(async (s) => (await sql<{ id: number; row: string }>`select id, cast(to_jsonb(tweets) as text) as row from tweets`.execute(s.database.db)).rows);
  return new Map(per.flat().map((r) => [r.id, r.row]));
}

describe.runIf(postgres.available)('addShard under concurrent writes [postgres]', () => {
  afterAll(() => postgres.disposeAll());

  it('reshards 3 → 4 schemas under 10 concurrent writers: no row lost or doubled, each on its new owner, only owner changes moved', async () => {
    const current = HashStrategy.of(['s0', 's1', 's2']);
    const next = current.withShard('s3');
    const moving = (key: number) => next.shardOf(String(key)) === 's3';
    const sharded = new ShardedDatabase({ shards: await openShards(['s0', 's1', 's2']), strategy: current });
    await sharded.migrate(MIGRATIONS);

    // Seed: 20k tweets of 2,000 authors and 10k timeline entries, each batch on its owner.
    const random = seededRandom(42);
    const pick = (n: number) => 1 + Math.floor(random() * n);
    const written = { tweets: new Map<number, { key: number; shard: string }>(), timelines: new Map<number, { key: number; shard: string }>() };
    const seed = async (table: 'tweets' | 'timelines', rows: { key: number; id: number }[]) => {
      const byShard = new Map<string, { key: number; id: number }[]>();
      for (const r of rows) {
        const shard = current.shardOf(String(r.key));
        byShard.set(shard, [...(byShard.get(shard) ?? []), r]);
      }
      for (const [shard, list] of byShard) {
        for (let i = 0; i < list.length; i += 1_000) {
          const part = list.slice(i, i + 1_000);
          const db = sharded.shard(shard).db;
          if (table === 'tweets') await db.insertInto('tweets').values(part.map((r) => ({ id: r.id, author_id: r.key, text: `tweet ${r.id}` }))).execute();
          else await db.insertInto('timelines').values(part.map((r) => ({ user_id: r.key, tweet_id: r.id }))).execute();
        }
        for (const r of list) written[table].set(r.id, { key: r.key, shard });
      }
    };
    await seed('tweets', Array.from({ length: SEED_TWEETS }, (_, i) => ({ id: i + 1, key: pick(AUTHORS) })));
    await seed('timelines', Array.from({ length: SEED_ENTRIES }, (_, i) => ({ id: i + 1, key: pick(AUTHORS) })));
    const seedRows = await rowTexts(sharded);

    // Writers: 8 tweeting, 2 filling timelines; authors past 2,000 are new keys met mid-copy.
    let nextId = SEED_TWEETS;
    let stop = false;
    let movingDuringCopy = 0;
    let copying = false;
    const writer = async (table: 'tweets' | 'timelines') => {
      while (!stop) {
        const key = pick(AUTHORS + 500);
        const { id, shard } = await sharded.write(BigInt(key), async (database, shard) => {
          const id = ++nextId;
          if (table === 'tweets') await database.db.insertInto('tweets').values({ id, author_id: key, text: `live ${id}` }).execute();
          else await database.db.insertInto('timelines').values({ user_id: key, tweet_id: id }).execute();
          return { id, shard };
        });
        written[table].set(id, { key, shard });
        if (copying && moving(key)) movingDuringCopy++;
      }
    };
    const writers = [...Array.from({ length: 8 }, () => writer('tweets')), ...Array.from({ length: 2 }, () => writer('timelines'))];
    // Whatever happens, no writer outlives the test's databases.
    onTestFinished(async () => {
      stop = true;
      await Promise.allSettled(writers);
    });

    const phases: ReshardProgress[] = [];
    const onProgress = async (p: ReshardProgress) => {
      phases.push(p);
      if (p.phase === 'copy' && !copying) {
        copying = true;
        // Let writes of moving keys land behind the copy, so that the catch-up has work.
        while (movingDuringCopy < 100) await new Promise((r) => setTimeout(r, 5));
      }
    };
    const report = await addShard(sharded, { shard: 's3', database: await postgres.open<Tables>(), tables: [TWEETS, TIMELINES], migrations: MIGRATIONS, batchSize: 500, onProgress });
    // Keep writing a little past the switch, then stop.
    const total = () => written.tweets.size + written.timelines.size;
    const after = total();
    while (total() < after + 200) await new Promise((r) => setTimeout(r, 5));
    stop = true;
    await Promise.all(writers);

    expect(report.to).toEqual({ version: 2, shards: ['s0', 's1', 's2', 's3'] });
    expect(report.fencedMs).toBeLessThan(10_000);
    for (const table of ['tweets', 'timelines'] as const) {
      const rows = await placement(sharded, table);
      // The multiset of ids across shards is exactly the ids committed: none lost, none twice.
      expect(rows.map((r) => r.id).sort((a, b) => a - b)).toEqual([...written[table].keys()].sort((a, b) => a - b));
      // Each row sits on the shard the new ring names for its key.
      expect(rows.filter((r) => next.shardOf(String(r.key)) !== r.shard)).toEqual([]);
      // Moved: exactly the rows written to an old shard whose key the new ring gives to s3.
      const owed = [...written[table].values()].filter((w) => w.shard !== 's3' && moving(w.key)).length;
      expect(report.tables[table]!.moved).toBe(owed);
      // Rows of keys that kept their owner never left it.
      for (const r of rows) if (!moving(r.key)) expect(r.shard).toBe(written[table].get(r.id)!.shard);
      expect(report.tables[table]!.copied).toBeGreaterThan(0);
      expect(report.tables[table]!.copied).toBeLessThanOrEqual(owed);
    }
    // The catch-up carried writes made during the copy; writes after the switch went straight to s3.
    expect(movingDuringCopy).toBeGreaterThanOrEqual(100);
    expect(report.tables.tweets!.caughtUp).toBeGreaterThan(0);
    expect([...written.tweets.values()].filter((w) => w.shard === 's3').length).toBeGreaterThan(0);
    expect(report.tables.tweets!.reconciled + report.tables.timelines!.reconciled).toBe(0);
    // Moved rows are the same rows, to the microsecond.
    const now = await rowTexts(sharded);
    for (const [id, text] of seedRows) expect(now.get(id)).toBe(text);
    expect(new Set(phases.map((p) => p.phase))).toEqual(new Set(['copy', 'catch-up', 'cleanup']));
    await sharded.close();
  }, 120_000);

  it('copies rows exactly, whatever their types', async () => {
    interface Odd { odd: { id: string; user_id: string; at: Date; amount: string; doc: unknown; tags: string[]; blob: Buffer; big: string } }
    const migrations: Record<string, Migration> = {
      'test/0001_odd': {
        async up(db: Kysely<unknown>) {
          await sql`create table odd (id bigint primary key, user_id bigint not null, at timestamptz not null, amount numeric not null,
            doc jsonb not null, tags text[] not null, blob bytea not null, big bigint not null)`.execute(db);
        },
      },
    };
    const current = HashStrategy.of(['a', 'b']);
    const next = current.withShard('c');
    const sharded = new ShardedDatabase({ shards: await openShards(['a', 'b']) as unknown as Record<string, SqlDatabase<Odd>>, strategy: current });
    await sharded.migrate(migrations);
    const users = [...Array(400).keys()].map((u) => u + 2 ** 53).filter((u) => next.shardOf(String(u)) === 'c').slice(0, 5);
    for (const [i, user] of users.entries()) {
      await sharded.write(String(user), (d) => sql`insert into odd values (${String(2n ** 62n + BigInt(i))}, ${String(user)}, '2024-02-29 12:34:56.123456+00',
        123456789012345678901234567890.123456789, ${'{"list": [1, "two", null], "big": 12345678901234567890.5}'}, ${['a', 'b,c', '{d}']},
        ${Buffer.from([0, 1, 254, 255])}, 9223372036854775807)`.execute(d.db));
    }
    const dump = async () => (await sharded.gather(async (s) => (await sql<{ row: string }>`select cast(to_jsonb(odd) as text) as row from odd order by id`.execute(s.database.db)).rows.map((r) => r.row))).flat().sort();
    const before = await dump();
    const report = await addShard(sharded, { shard: 'c', database: (await postgres.open()) as SqlDatabase<Odd>, migrations, tables: [{ table: 'odd', keyColumn: 'user_id', primaryKey: ['id'] }] });
    expect(report.tables.odd!.moved).toBe(users.length);
    expect(await dump()).toEqual(before);
    expect((await sql<{ n: number }>`select count(*) as n from odd`.execute(sharded.shard('c').db)).rows[0]!.n).toBe(users.length);
    await sharded.close();
  });
});
