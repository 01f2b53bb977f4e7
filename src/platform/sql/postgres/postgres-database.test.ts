import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVICES, shouldRun } from '../../../../test/helpers/services.js';
import { runSqlContract } from '../sql.contract.js';
import { TEST_DIALECTS } from '../testing/test-databases.js';
import { PostgresDatabase } from './postgres-database.js';
import { parseInteger } from './postgres-values.js';

const postgres = TEST_DIALECTS.find((d) => d.name === 'postgres')!;

describe('parseInteger', () => {
  it('answers a number when it is exact, else the exact text', () => {
    expect(parseInteger('0')).toBe(0);
    expect(parseInteger('-42')).toBe(-42);
    expect(parseInteger(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseInteger('-9007199254740991')).toBe(-Number.MAX_SAFE_INTEGER);
    expect(parseInteger('9007199254740993')).toBe('9007199254740993');
    expect(parseInteger('9223372036854775807')).toBe('9223372036854775807');
    expect(parseInteger('12.50')).toBe('12.50');
    expect(parseInteger('NaN')).toBe('NaN');
  });
});

describe.runIf(await shouldRun('postgres'))('PostgresDatabase', () => {
  afterAll(() => postgres.disposeAll());

  runSqlContract('PostgresDatabase', { open: () => postgres.open() });

  describe('PostgreSQL specifics', () => {
    it('keeps each database in its own schema: the same table name never meets', async () => {
      const a = await postgres.open<{ t: { v: number } }>();
      const b = await postgres.open<{ t: { v: number } }>();
      for (const [database, v] of [[a, 1], [b, 2]] as const) {
        await database.db.schema.createTable('t').addColumn('v', 'integer').execute();
        await database.db.insertInto('t').values({ v }).execute();
      }
      expect(await a.db.selectFrom('t').select('v').execute()).toEqual([{ v: 1 }]);
      expect(await b.db.selectFrom('t').select('v').execute()).toEqual([{ v: 2 }]);
      // Every pooled connection, not only the first, has the schema on its search_path.
      const paths = await Promise.all(Array.from({ length: 6 }, () => a.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ path: string }>`select current_schema() as path, pg_sleep(0.01)`.execute(trx);
        return rows[0]!.path;
      })));
      expect(new Set(paths).size).toBe(1);
      expect(paths[0]).toMatch(/^bpt_/);
    });

    it('answers int8 and integer numerics as numbers when exact, as text beyond 2^53', async () => {
      const database = await postgres.open();
      const { rows } = await sql<Record<string, unknown>>`
        select count(*) as n, sum(x) as s, 9007199254740993::bigint as big, 2::numeric / 3 as frac, 7::int4 as small, null::bigint as nothing
        from (values (1::bigint), (2::bigint)) as v(x)`.execute(database.db);
      expect(rows[0]).toEqual({ n: 2, s: 3, big: '9007199254740993', frac: expect.stringMatching(/^0\.6+7$/), small: 7, nothing: null });
    });

    it('binds values as parameters, never as SQL text', async () => {
      const database = await postgres.open();
      const hostile = "x'); drop schema public cascade; --";
      const query = sql<{ v: string }>`select ${hostile}::text as v`;
      expect(query.compile(database.db).sql).toBe('select $1::text as v');
      expect((await query.execute(database.db)).rows).toEqual([{ v: hostile }]);
    });

    it('creates its schema on migrate, and keeps Kysely\'s bookkeeping there', async () => {
      const created = await postgres.create();
      // The schema exists already (created by the helper): drop it, so that migrate must make it.
      const address = created.address.slice('postgres:'.length);
      const probe = created.connect();
      await sql`drop schema ${sql.id(address)} cascade`.execute(probe.db);
      const database = created.connect();
      await database.migrate({ 'm/0001': { up: async (db) => void (await db.schema.createTable('made').addColumn('id', 'integer').execute()) } });
      const tables = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = ${address} order by 1`.execute(probe.db);
      expect(tables.rows.map((r) => r.name)).toEqual(['kysely_migration', 'kysely_migration_lock', 'made']);
    });

    it('refuses a schema name that would need quoting', () => {
      for (const schema of ['Upper', 'with space', 'semi;colon', '', 'x'.repeat(64), '1digit']) {
        expect(() => new PostgresDatabase({ connectionString: SERVICES.postgres, schema }), schema).toThrow(RangeError);
      }
    });

    it('rejects queries once the server cannot be reached', async () => {
      // Port 1 on loopback: nothing listens there, so the connection is refused at once.
      const nowhere = new PostgresDatabase({ connectionString: 'postgres://postgres@127.0.0.1:1/test' });
      await expect(nowhere.ping()).rejects.toThrow();
      await nowhere.close();
    });
  });
});
