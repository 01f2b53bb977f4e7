import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVICES, shouldRun } from '../../../../test/helpers/services.js';
import { startTcpProxy } from '../../../../test/helpers/tcp-proxy.js';
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
    it('survives a connection that breaks while checked out between statements, and replaces it', async () => {
      // Unheard, the error a checked-out client emits when its connection ends would end the process.
      const proxy = await startTcpProxy(SERVICES.postgres);
      const errors: Error[] = [];
      const database = new PostgresDatabase({ connectionString: proxy.via(SERVICES.postgres), poolSize: 1, onError: (error) => errors.push(error) });
      try {
        await expect(
          database.db.transaction().execute(async (trx) => {
            await sql`select 1`.execute(trx);
            proxy.cut();
            await new Promise((r) => setTimeout(r, 300));
            await sql`select 2`.execute(trx);
          }),
        ).rejects.toThrow();
        expect(errors.map((e) => e.message)).toContain('Connection terminated unexpectedly');
        proxy.heal();
        expect((await sql<{ v: number }>`select 3 as v`.execute(database.db)).rows).toEqual([{ v: 3 }]);
      } finally {
        await database.close();
        await proxy.close();
      }
    });

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

    /** A database on a fresh schema with one connection, so that every query meets the same session. */
    async function oneConnection(options: { preparedStatements?: number } = {}) {
      const created = await postgres.create();
      const database = new PostgresDatabase<{ t: { a: number; b?: number } }>({ connectionString: SERVICES.postgres, schema: created.address.slice('postgres:'.length), poolSize: 1, ...options });
      await database.db.schema.createTable('t').addColumn('a', 'integer').execute();
      await database.db.insertInto('t').values([{ a: 1 }, { a: 2 }]).execute();
      const prepared = async () => (await sql<{ statement: string }>`select statement from pg_prepared_statements order by prepare_time`.execute(database.db)).rows.map((r) => r.statement);
      return { database, prepared, [Symbol.asyncDispose]: () => database.close() };
    }

    it('prepares a query shape once per connection and reuses it; only shapes with parameters', async () => {
      await using c = await oneConnection();
      const query = c.database.db.selectFrom('t').select('a').where('a', '>', 1);
      for (let i = 0; i < 3; i++) expect(await query.execute()).toEqual([{ a: 2 }]);
      await c.database.db.selectFrom('t').select('a').where('a', '<', 5).execute();
      const statements = await c.prepared();
      expect(statements.filter((s) => s === query.compile().sql)).toHaveLength(1);
      expect(statements).toContain('select "a" from "t" where "a" < $1');
      expect(statements.some((s) => /create table|^begin/i.test(s))).toBe(false);
    });

    it('prepares at most `preparedStatements` shapes per connection, and none with 0', async () => {
      for (const [limit, expected] of [[2, 2], [0, 0]] as const) {
        await using c = await oneConnection({ preparedStatements: limit });
        for (const bound of [1, 2, 3, 4]) expect(await c.database.db.selectFrom('t').select('a').where('a', '<', bound).where('a', '<', 9).limit(bound).execute()).toBeDefined();
        for (const op of ['<', '>', '=', '<>'] as const) await c.database.db.selectFrom('t').select('a').where('a', op, 1).execute();
        // The fixture's insert was the first shape; the four selects here are four more.
        expect(await c.prepared()).toHaveLength(expected);
      }
    });

    it('prepares a shape again when a migration changed its columns: at once outside a transaction, on the retry inside one', async () => {
      await using c = await oneConnection();
      const query = c.database.db.selectFrom('t').selectAll().where('a', '=', 1);
      expect(await query.execute()).toEqual([{ a: 1 }]);
      await c.database.db.schema.alterTable('t').addColumn('b', 'integer').execute();
      expect(await query.execute()).toEqual([{ a: 1, b: null }]);

      await c.database.db.schema.alterTable('t').addColumn('c', 'integer').execute();
      await expect(c.database.db.transaction().execute((trx) => trx.selectFrom('t').selectAll().where('a', '=', 1).execute())).rejects.toThrow(/cached plan/);
      expect(await c.database.db.transaction().execute((trx) => trx.selectFrom('t').selectAll().where('a', '=', 1).execute())).toEqual([{ a: 1, b: null, c: null }]);
    });

    it('introspects its own schema only, while other schemas come and go', async () => {
      const mine = await postgres.open<{ own: { id: number } }>();
      await mine.db.schema.createTable('own').addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity()).execute();
      // Other databases (test files) create and drop schemas all the time; introspecting by schema
      // name across all of them, as Kysely's own introspector does, fails when one vanishes mid-query.
      const churn = (async () => {
        for (let i = 0; i < 15; i++) {
          const other = await postgres.create();
          await other.connect().db.schema.createTable(`t${i}`).addColumn('id', 'integer').execute();
          await other.dispose();
        }
      })();
      const seen: string[][] = [];
      const look = (async () => {
        for (let i = 0; i < 30; i++) seen.push((await mine.db.introspection.getTables()).map((t) => t.name));
      })();
      // Both finish before the checks, so that no schema is created after the suite's cleanup.
      for (const outcome of await Promise.allSettled([churn, look])) if (outcome.status === 'rejected') throw outcome.reason;
      expect(new Set(seen.map((names) => names.join()))).toEqual(new Set(['own']));
      const [own] = await mine.db.introspection.getTables();
      expect(own).toMatchObject({ name: 'own', isView: false, columns: [{ name: 'id', dataType: 'int4', isAutoIncrementing: true, isNullable: false }] });
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
