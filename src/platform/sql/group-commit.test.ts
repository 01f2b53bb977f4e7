import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteDatabase } from './sqlite/sqlite-database.js';
import { GroupCommit } from './group-commit.js';

interface T { t: { k: string } }

describe('GroupCommit', () => {
  let db: SqliteDatabase<T>;
  beforeEach(async () => {
    db = new SqliteDatabase<T>({ filename: ':memory:' });
    await db.db.schema.createTable('t').addColumn('k', 'text', (c) => c.primaryKey()).execute();
  });
  afterEach(() => db.close());

  it('commits concurrent calls together and answers each with its own result', async () => {
    const group = new GroupCommit(db.db);
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => group.run(async (trx) => {
      await trx.insertInto('t').values({ k: `k${i}` }).execute();
      return i * 2;
    })));
    expect(results).toEqual(Array.from({ length: 100 }, (_, i) => i * 2));
    expect(group.commits).toBe(1);
    expect(await db.db.selectFrom('t').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).toEqual({ n: 100 });
  });

  it('keeps a failing call from failing the others, and rolls back only its own work', async () => {
    const group = new GroupCommit(db.db);
    const calls = ['a', 'dup', 'b', 'dup'].map((k, i) => group.run(async (trx) => {
      await trx.insertInto('t').values({ k }).execute();
      if (i === 2) throw new Error('boom');
      return k;
    }));
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect((await db.db.selectFrom('t').select('k').orderBy('k').execute()).map((r) => r.k)).toEqual(['a', 'dup']);
  });

  it('splits large groups and serves calls made while a group commits', async () => {
    const group = new GroupCommit(db.db, { maxGroup: 10 });
    const first = Array.from({ length: 25 }, (_, i) => group.run((trx) => trx.insertInto('t').values({ k: `x${i}` }).execute()));
    await Promise.all(first);
    expect(group.commits).toBe(3);
    await group.run((trx) => trx.insertInto('t').values({ k: 'later' }).execute());
    expect(group.commits).toBe(4);
  });
});
