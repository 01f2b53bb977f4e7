import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { param, Precompiled } from './precompiled.js';
import { describeEachDialect } from './testing/test-databases.js';

interface T {
  t: { id: bigint; name: string; n: number };
}

describeEachDialect('Precompiled', (dialect) => {
  it('runs one compiled statement with new values each time, constants kept, in and out of transactions', async () => {
    const database = await dialect.open<T>();
    const { db } = database;
    await db.schema.createTable('t').addColumn('id', 'bigint', (c) => c.primaryKey()).addColumn('name', 'text').addColumn('n', 'integer').execute();
    const insert = new Precompiled<{ id: bigint; name: string }>((d) => d.insertInto('t').values({ id: param('id'), name: param('name'), n: 7 }));
    const bump = new Precompiled<{ id: bigint; by: number }, { n: number }>((d) =>
      d.updateTable('t').set((eb) => ({ n: eb('n', '+', eb.val(param('by'))) })).where('id', '=', param('id')).returning('n'),
    );
    await insert.execute(db, { id: 2n ** 62n + 1n, name: 'a' });
    await db.transaction().execute(async (trx) => {
      await insert.execute(trx, { id: 5n, name: "b'; drop table t; --" });
      expect(await bump.first(trx, { id: 5n, by: 3 })).toEqual({ n: 10 });
    });
    expect(await bump.first(db, { id: 404n, by: 1 })).toBeUndefined();
    const rows = await db.selectFrom('t').select([sql<string>`cast(id as text)`.as('id'), 'name', 'n']).orderBy('name').execute();
    expect(rows.map((r) => [r.id, r.name, Number(r.n)])).toEqual([
      [(2n ** 62n + 1n).toString(), 'a', 7],
      ['5', "b'; drop table t; --", 10],
    ]);
    await expect(insert.execute(db, { id: 9n } as never)).rejects.toThrow(/no value for name/);
  });
});
