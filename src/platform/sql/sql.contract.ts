import type { Kysely, Migration } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BulkInsert } from './bulk-insert.js';
import { GroupCommit } from './group-commit.js';
import { tablesOf, type SqlDatabase } from './sql.port.js';

/** How the contract reaches an adapter. */
export interface SqlContractFactory {
  /** A fresh, empty database on every call; the suite closes what it opens. */
  open(): Promise<SqlDatabase<unknown>>;
}

interface CounterTables {
  counters: { id: number; name: string; hits: number | null };
}
interface AccountTables {
  accounts: { id: number; owner: string; balance: number };
}
interface ConstraintTables {
  parents: { id: number };
  items: { id: number; sku: string; qty: number; parent_id: number | null };
}
interface BigTables {
  bigs: { id: number; v: number | string };
}
interface NoteTables {
  notes: { id: number; body: string };
}
interface KvTables {
  kv: { k: string; v: number };
}

/** Runs a migration body and records that it ran, for order and idempotence checks. */
function recording(log: string[], name: string, up: (db: Kysely<unknown>) => Promise<void>): Migration {
  return {
    up: async (db) => {
      log.push(name);
      await up(db);
    },
  };
}

/** Rejection reason of `promise`, or a failure if it resolves. */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/**
 * The behaviour every SQL adapter promises; each adapter's test calls this. Only portable Kysely
 * here: the same suite must pass on SQLite and PostgreSQL.
 */
export function runSqlContract(name: string, factory: SqlContractFactory): void {
  describe(`${name} (sql contract)`, () => {
    let database: SqlDatabase<unknown>;
    beforeEach(async () => {
      database = await factory.open();
    });
    afterEach(async () => {
      await database.close();
    });

    describe('migrate', () => {
      it('applies migrations in name order, records them, and re-applies none', async () => {
        const log: string[] = [];
        // Declared out of order: only name order makes each one's prerequisite exist.
        const migrations: Record<string, Migration> = {
          'contract/0002_hits': recording(log, 'contract/0002_hits', (db) =>
            db.schema.alterTable('counters').addColumn('hits', 'integer').execute().then(() => undefined)),
          // Through the migration's own handle: the migrator may hold the only connection.
          'contract/0003_seed': recording(log, 'contract/0003_seed', async (db) => {
            await (db as Kysely<CounterTables>).insertInto('counters').values({ id: 1, name: 'seed', hits: 0 }).execute();
          }),
          'contract/0001_init': recording(log, 'contract/0001_init', async (db) => {
            await db.schema.createTable('counters')
              .addColumn('id', 'integer', (c) => c.primaryKey())
              .addColumn('name', 'text', (c) => c.notNull())
              .execute();
          }),
        };
        await database.migrate(migrations);
        expect(log).toEqual(['contract/0001_init', 'contract/0002_hits', 'contract/0003_seed']);

        await database.migrate(migrations);
        expect(log).toHaveLength(3);
        // A re-run seed would have hit the primary key; one row proves it did not run.
        const counters = tablesOf<CounterTables>(database).db;
        expect(await counters.selectFrom('counters').selectAll().execute()).toEqual([{ id: 1, name: 'seed', hits: 0 }]);
      });

      it('applies only a newly added migration, even one that sorts before those applied', async () => {
        const log: string[] = [];
        const make = (name: string, table: string): Migration =>
          recording(log, name, (db) => db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey()).execute());
        const first = { 'b/0001_beta': make('b/0001_beta', 'beta'), 'c/0001_gamma': make('c/0001_gamma', 'gamma') };
        await database.migrate(first);
        // Modules add migrations independently: `a/...` arrives after `b/...` and `c/...` ran.
        await database.migrate({ ...first, 'a/0001_alpha': make('a/0001_alpha', 'alpha') });
        expect(log).toEqual(['b/0001_beta', 'c/0001_gamma', 'a/0001_alpha']);
        await database.migrate({ ...first, 'a/0001_alpha': make('a/0001_alpha', 'alpha') });
        expect(log).toHaveLength(3);
      });

      it('rejects with an error naming a failing migration, and retries it on the next run', async () => {
        const ok: Migration = {
          up: async (db) => {
            await db.schema.createTable('fine').addColumn('id', 'integer', (c) => c.primaryKey()).execute();
          },
        };
        const broken: Migration = {
          up: async (db) => {
            await db.schema.alterTable('no_such_table').addColumn('x', 'integer').execute();
          },
        };
        const error = await failureOf(database.migrate({ 'f/0001_fine': ok, 'f/0002_broken': broken }));
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toContain('f/0002_broken');

        // Whether 0001 survived depends on transactional DDL; either way the fixed 0002 must run.
        const fixed: Migration = {
          up: async (db) => {
            await db.schema.createTable('mended').addColumn('id', 'integer', (c) => c.primaryKey()).execute();
          },
        };
        await database.migrate({ 'f/0001_fine': ok, 'f/0002_broken': fixed });
        const tables = (await database.db.introspection.getTables()).map((t) => t.name);
        expect(tables).toEqual(expect.arrayContaining(['fine', 'mended']));
      });
    });

    describe('transactions', () => {
      async function createAccounts(): Promise<Kysely<AccountTables>> {
        const db = tablesOf<AccountTables>(database).db;
        await db.schema.createTable('accounts')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('owner', 'text', (c) => c.notNull())
          .addColumn('balance', 'integer', (c) => c.notNull())
          .execute();
        await db.insertInto('accounts').values({ id: 1, owner: 'ann', balance: 100 }).execute();
        return db;
      }

      it('rolls back every write of a transaction whose callback throws', async () => {
        const db = await createAccounts();
        await expect(db.transaction().execute(async (trx) => {
          await trx.insertInto('accounts').values([{ id: 2, owner: 'bob', balance: 5 }, { id: 3, owner: 'cy', balance: 7 }]).execute();
          await trx.updateTable('accounts').set({ balance: 0 }).where('id', '=', 1).execute();
          await trx.deleteFrom('accounts').where('id', '=', 3).execute();
          throw new Error('abort');
        })).rejects.toThrow('abort');
        expect(await db.selectFrom('accounts').selectAll().execute()).toEqual([{ id: 1, owner: 'ann', balance: 100 }]);
      });

      it('rolls back earlier writes when a statement fails, and commits the next transaction', async () => {
        const db = await createAccounts();
        const error = await failureOf(db.transaction().execute(async (trx) => {
          await trx.updateTable('accounts').set({ balance: 50 }).where('id', '=', 1).execute();
          await trx.insertInto('accounts').values({ id: 2, owner: 'bob', balance: 5 }).execute();
          await trx.insertInto('accounts').values({ id: 1, owner: 'dup', balance: 1 }).execute();
        }));
        expect(database.isUniqueViolation(error)).toBe(true);
        await db.transaction().execute((trx) => trx.insertInto('accounts').values({ id: 4, owner: 'dee', balance: 9 }).execute());
        expect(await db.selectFrom('accounts').select(['id', 'balance']).orderBy('id').execute())
          .toEqual([{ id: 1, balance: 100 }, { id: 4, balance: 9 }]);
      });
    });

    describe('isUniqueViolation', () => {
      async function createItems(): Promise<Kysely<ConstraintTables>> {
        const db = tablesOf<ConstraintTables>(database).db;
        await db.schema.createTable('parents').addColumn('id', 'integer', (c) => c.primaryKey()).execute();
        await db.schema.createTable('items')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('sku', 'text', (c) => c.notNull())
          .addColumn('qty', 'integer', (c) => c.notNull())
          .addColumn('parent_id', 'integer', (c) => c.references('parents.id'))
          .execute();
        await db.schema.createIndex('items_sku').on('items').column('sku').unique().execute();
        await db.insertInto('parents').values({ id: 1 }).execute();
        await db.insertInto('items').values({ id: 1, sku: 'A', qty: 1, parent_id: 1 }).execute();
        return db;
      }

      it('is true for a primary-key and for a unique-index violation', async () => {
        const db = await createItems();
        const primaryKey = await failureOf(db.insertInto('items').values({ id: 1, sku: 'B', qty: 1, parent_id: null }).execute());
        const uniqueIndex = await failureOf(db.insertInto('items').values({ id: 2, sku: 'A', qty: 1, parent_id: null }).execute());
        expect(database.isUniqueViolation(primaryKey)).toBe(true);
        expect(database.isUniqueViolation(uniqueIndex)).toBe(true);
      });

      it('is false for other constraint errors, other SQL errors and non-errors', async () => {
        const db = await createItems();
        // Cast: the point is to send the NULL the schema forbids.
        const notNull = await failureOf(db.insertInto('items').values({ id: 3, sku: null as unknown as string, qty: 1, parent_id: null }).execute());
        const foreignKey = await failureOf(db.insertInto('items').values({ id: 4, sku: 'D', qty: 1, parent_id: 99 }).execute());
        const missingTable = await failureOf(tablesOf<NoteTables>(database).db.selectFrom('notes').selectAll().execute());
        for (const error of [notNull, foreignKey, missingTable]) expect(error).toBeInstanceOf(Error);
        for (const error of [notNull, foreignKey, missingTable, new Error('unique'), undefined, null, 'UNIQUE constraint failed', {}]) {
          expect(database.isUniqueViolation(error), String(error)).toBe(false);
        }
      });
    });

    describe('values', () => {
      it('round-trips bigint values up to 2^53-1, compared and ordered as numbers', async () => {
        const db = tablesOf<BigTables>(database).db;
        await db.schema.createTable('bigs').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('v', 'bigint').execute();
        const values = [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 0, 2 ** 31, 2 ** 32 + 1, 2 ** 53 - 2, 10];
        await db.insertInto('bigs').values(values.map((v, id) => ({ id, v }))).execute();
        // Drivers differ: better-sqlite3 answers a number, node-postgres a numeric string.
        const rows = await db.selectFrom('bigs').select(['id', 'v']).orderBy('v').execute();
        expect(rows.map((r) => Number(r.v))).toEqual([...values].sort((a, b) => a - b));
        for (const r of rows) expect(Number(r.v)).toBe(values[r.id]);
        const max = await db.selectFrom('bigs').select('id').where('v', '=', Number.MAX_SAFE_INTEGER).execute();
        expect(max).toEqual([{ id: 0 }]);
      });

      it('round-trips text exactly: unicode, the empty string, quotes and injection attempts', async () => {
        const db = tablesOf<NoteTables>(database).db;
        await db.schema.createTable('notes').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('body', 'text', (c) => c.notNull()).execute();
        const bodies = [
          '',
          ' ',
          'héllo wörld',
          '日本語のテキスト',
          'emoji 🙂👍🏽 family 👨‍👩‍👧‍👦',
          'עברית ومرحبا',
          'e\u0301 versus \u00e9',
          "it's \"quoted\" `back` \\ slash",
          "'); DROP TABLE notes; --",
          "' OR '1'='1",
          '$1 ? :name @p1 %s',
          '100% _under_ [set]',
          'line1\nline2\r\n\ttab',
          'x'.repeat(10_000),
        ];
        await db.insertInto('notes').values(bodies.map((body, id) => ({ id, body }))).execute();
        const rows = await db.selectFrom('notes').select(['id', 'body']).orderBy('id').execute();
        expect(rows.map((r) => r.body)).toEqual(bodies);
        const matched = await db.selectFrom('notes').select('id').where('body', '=', "' OR '1'='1").execute();
        expect(matched).toEqual([{ id: bodies.indexOf("' OR '1'='1") }]);
        expect(await db.selectFrom('notes').select('id').where('body', '=', '').execute()).toEqual([{ id: 0 }]);
      });
    });

    describe('helpers over the port', () => {
      it('bulk-inserts through db with an ON CONFLICT upsert', async () => {
        const db = tablesOf<KvTables>(database).db;
        await db.schema.createTable('kv').addColumn('k', 'text', (c) => c.primaryKey()).addColumn('v', 'integer', (c) => c.notNull()).execute();
        const upsert = new BulkInsert<KvTables['kv']>('kv', ['k', 'v'], {
          chunk: 3,
          modify: (q) => q.onConflict((oc) => oc.column('k').doUpdateSet((eb) => ({ v: eb.ref('excluded.v') }))),
        });
        await upsert.insert(db, Array.from({ length: 7 }, (_, i) => [`k${i}`, i]));
        // No key twice within one statement: PostgreSQL refuses to update a row twice in one upsert.
        await upsert.insert(db, [['k1', 100], ['k5', 500], ['k9', 9]]);
        const rows = await db.selectFrom('kv').select(['k', 'v']).orderBy('k').execute();
        expect(rows).toEqual([
          { k: 'k0', v: 0 }, { k: 'k1', v: 100 }, { k: 'k2', v: 2 }, { k: 'k3', v: 3 },
          { k: 'k4', v: 4 }, { k: 'k5', v: 500 }, { k: 'k6', v: 6 }, { k: 'k9', v: 9 },
        ]);
      });

      it('group-commits through db, isolating a call that hits a unique violation', async () => {
        const db = tablesOf<KvTables>(database).db;
        await db.schema.createTable('kv').addColumn('k', 'text', (c) => c.primaryKey()).addColumn('v', 'integer', (c) => c.notNull()).execute();
        const group = new GroupCommit(db);
        const together = await Promise.all(Array.from({ length: 20 }, (_, i) =>
          group.run(async (trx) => {
            await trx.insertInto('kv').values({ k: `k${i}`, v: i }).execute();
            return i;
          })));
        expect(together).toEqual(Array.from({ length: 20 }, (_, i) => i));
        expect(group.commits).toBe(1);

        const settled = await Promise.allSettled(['n1', 'k3', 'n2'].map((k) => group.run((trx) => trx.insertInto('kv').values({ k, v: -1 }).execute())));
        expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect(database.isUniqueViolation((settled[1] as PromiseRejectedResult).reason)).toBe(true);
        const count = await db.selectFrom('kv').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
        expect(Number(count.n)).toBe(22);
      });
    });

    describe('lifecycle', () => {
      it('answers ping', async () => {
        await expect(database.ping()).resolves.toBeUndefined();
      });

      it('rejects ping and queries once closed', async () => {
        const other = await factory.open();
        await other.db.selectNoFrom((eb) => eb.lit(1).as('one')).execute();
        await other.close();
        await expect(other.ping()).rejects.toThrow();
        await expect(other.db.selectNoFrom((eb) => eb.lit(1).as('one')).execute()).rejects.toThrow();
      });

      it('rejects ping and queries once closed, even if closed before its first query', async () => {
        const other = await factory.open();
        await other.close();
        await expect(other.ping()).rejects.toThrow();
        await expect(other.db.selectNoFrom((eb) => eb.lit(1).as('one')).execute()).rejects.toThrow();
      });
    });
  });
}
