import { tablesOf, type SqlDatabase } from '../../../../platform/sql/index.js';
import type { TestDialect } from '../../../../platform/sql/testing/test-databases.js';
import { allocateUniqueKey } from '../allocate.js';
import { keygenMigrations } from '../keygen.migrations.js';
import type { KeyGenerator } from '../keygen.port.js';

/** A stand-in for the links table: all that matters here is the UNIQUE code column. */
export interface TestLinksTables {
  test_links: { code: string; url: string };
}

/** A fresh migrated database of a dialect, and every connection opened on it. */
export interface KeygenTestDb {
  /** What a child process opens it with (`connectTestDatabase`). */
  readonly address: string;
  /** Opens one more connection (SQLite) or pool (PostgreSQL) to the same database (closed by `cleanup`). */
  open(): SqlDatabase;
  /** Closes every connection and removes the database. */
  cleanup(): Promise<void>;
}

/** Creates the database, runs the keygen migrations and creates `test_links` on it. */
export async function createKeygenTestDb(dialect: TestDialect): Promise<KeygenTestDb> {
  const database = await dialect.create();
  // Migrate once, before any concurrent connection exists: the migrator's lock is a no-op on SQLite.
  const first = database.connect();
  await first.migrate(keygenMigrations);
  await tablesOf<TestLinksTables>(first).db.schema
    .createTable('test_links')
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('url', 'text', (c) => c.notNull())
    .execute();
  return { address: database.address, open: () => database.connect(), cleanup: () => database.dispose() };
}

/** Inserts a link row; 'taken' when the code already exists, as the links repository will. */
export async function insertTestLink(sql: SqlDatabase, code: string, url: string): Promise<string | 'taken'> {
  try {
    await tablesOf<TestLinksTables>(sql).db.insertInto('test_links').values({ code, url }).execute();
    return code;
  } catch (error) {
    if (sql.isUniqueViolation(error)) return 'taken';
    throw error;
  }
}

/** One generator and the connection it (and its inserts) use. */
export interface KeygenWorker {
  generator: KeyGenerator;
  sql: SqlDatabase;
}

/**
 * Shortens every URL at once (one Promise.all), spreading the calls round-robin over `workers`;
 * returns the codes in URL order.
 */
export function allocateAll(workers: readonly KeygenWorker[], urls: readonly string[], maxAttempts?: number): Promise<string[]> {
  return Promise.all(
    urls.map((url, i) => {
      const worker = workers[i % workers.length] as KeygenWorker;
      return allocateUniqueKey(worker.generator, url, (code) => insertTestLink(worker.sql, code, url), { maxAttempts });
    }),
  );
}

/** Every row of `test_links`. */
export function allLinks(sql: SqlDatabase): Promise<{ code: string; url: string }[]> {
  return tablesOf<TestLinksTables>(sql).db.selectFrom('test_links').selectAll().execute();
}
