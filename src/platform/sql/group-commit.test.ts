import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteDatabase } from './sqlite/sqlite-database.js';
import { GroupCommit } from './group-commit.js';
import { deferredWrites, type DeferredKind } from './deferred-writes.js';

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

  it('runs the writes units deferred at the end of each transaction, kind by kind in order, the retries alone included', async () => {
    const order: string[] = [];
    const kind = (name: string, at: number): DeferredKind<string> => ({
      name,
      order: at,
      async flush(trx, items) {
        order.push(`${name}: ${items.join(',')}`);
        await trx.insertInto('t').values(items.map((k) => ({ k: `${name}-${k}` }))).execute();
      },
    });
    const [late, early] = [kind('late', 2), kind('early', 1)];
    const group = new GroupCommit(db.db);
    await Promise.all(['a', 'b'].map((k) => group.run(async (trx) => {
      order.push(k);
      expect(deferredWrites.defer(trx, late, k)).toBe(true);
      deferredWrites.defer(trx, early, k);
    })));
    expect(order).toEqual(['a', 'b', 'early: a,b', 'late: a,b']);
    order.length = 0;
    const settled = await Promise.allSettled(['c', 'boom'].map((k) => group.run(async (trx) => {
      order.push(k);
      deferredWrites.defer(trx, late, k);
      if (k === 'boom') throw new Error(k);
    })));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected']);
    expect(order).toEqual(['c', 'boom', 'c', 'late: c', 'boom']);
    expect((await db.db.selectFrom('t').select('k').orderBy('k').execute()).map((r) => r.k)).toEqual(['early-a', 'early-b', 'late-a', 'late-b', 'late-c']);
    // Outside a group commit's transaction, nothing is deferred: the caller writes at once.
    expect(deferredWrites.defer(db.db, late, 'x')).toBe(false);
  });

  it('tries a unit again alone after a transient error, a few times at most', async () => {
    let failures = 3;
    const group = new GroupCommit(db.db, { isTransient: (error) => (error as Error).message === 'deadlock' });
    const flaky = group.run(async (trx) => {
      if (failures-- > 0) throw new Error('deadlock');
      await trx.insertInto('t').values({ k: 'made it' }).execute();
      return 'ok';
    });
    expect(await flaky).toBe('ok');
    let tries = 0;
    await expect(group.run(async () => {
      tries++;
      throw new Error('deadlock');
    })).rejects.toThrow('deadlock');
    // Once in its group, then five times alone.
    expect(tries).toBe(6);
  });

  it('runs up to `concurrency` transactions at once and shares the waiting work among them', async () => {
    let open = 0;
    let most = 0;
    // A fake database: each transaction takes a while, so that several are open at once.
    const fakeDb = {
      transaction: () => ({
        execute: async <R>(work: (trx: unknown) => Promise<R>) => {
          most = Math.max(most, ++open);
          await new Promise((r) => setTimeout(r, 20));
          try {
            return await work({});
          } finally {
            open--;
          }
        },
      }),
    } as unknown as typeof db.db;
    const group = new GroupCommit(fakeDb, { concurrency: 3 });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => group.run(async () => i)));
    expect(results).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(most).toBe(3);
    expect(group.commits).toBe(3);
  });
});
