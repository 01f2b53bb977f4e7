import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteDatabase } from './sqlite/sqlite-database.js';
import { sql } from 'kysely';
import { BulkInsert } from './bulk-insert.js';

interface T { t: { a: number; b: string; c: string | null } }

describe('BulkInsert', () => {
  let db: SqliteDatabase<T>;
  beforeEach(async () => {
    db = new SqliteDatabase<T>({ filename: ':memory:' });
    await db.db.schema.createTable('t').addColumn('a', 'integer').addColumn('b', 'text').addColumn('c', 'text').execute();
  });
  afterEach(() => db.close());

  it('inserts every row, in column order, across uneven chunks, inside a transaction', async () => {
    const bulk = new BulkInsert<T['t']>('t', ['a', 'b', 'c'], { chunk: 7 });
    const rows = Array.from({ length: 45 }, (_, i) => [i, `b${i}`, i % 2 ? null : `c${i}`]);
    await db.db.transaction().execute((trx) => bulk.insert(trx, rows));
    await bulk.insert(db.db, rows.slice(0, 3));
    const got = await db.db.selectFrom('t').selectAll().orderBy('a').execute();
    expect(got).toHaveLength(48);
    expect(got.slice(0, 3)).toEqual([{ a: 0, b: 'b0', c: 'c0' }, { a: 0, b: 'b0', c: 'c0' }, { a: 1, b: 'b1', c: null }]);
    expect(got.at(-1)).toEqual({ a: 44, b: 'b44', c: 'c44' });
  });

  it('adds an ON CONFLICT clause: an upsert that sums', async () => {
    await db.db.schema.createIndex('t_a').on('t').column('a').unique().execute();
    const upsert = new BulkInsert<T['t']>('t', ['a', 'b', 'c'], {
      chunk: 2,
      modify: (q) => q.onConflict((oc) => oc.column('a').doUpdateSet({ b: sql`t.b || excluded.b` })),
    });
    await upsert.insert(db.db, [[1, 'x', null], [2, 'y', null], [3, 'z', null]]);
    await upsert.insert(db.db, [[1, 'X', null], [3, 'Z', null]]);
    expect(await db.db.selectFrom('t').select(['a', 'b']).orderBy('a').execute()).toEqual([{ a: 1, b: 'xX' }, { a: 2, b: 'y' }, { a: 3, b: 'zZ' }]);
  });

  it('rolls back with the transaction', async () => {
    const bulk = new BulkInsert<T['t']>('t', ['a', 'b', 'c']);
    await expect(db.db.transaction().execute(async (trx) => {
      await bulk.insert(trx, [[1, 'x', null]]);
      throw new Error('abort');
    })).rejects.toThrow('abort');
    expect(await db.db.selectFrom('t').selectAll().execute()).toEqual([]);
  });
});
