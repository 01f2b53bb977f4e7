import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tablesOf } from '../../../../platform/sql/index.js';
import { SqliteDatabase } from '../../../../platform/sql/sqlite/sqlite-database.js';
import { allocateUniqueKey } from '../allocate.js';
import { keygenMigrations } from '../keygen.migrations.js';
import type { KeyGenerator } from '../keygen.port.js';

/** A stand-in for the links table: all that matters here is the UNIQUE code column. */
export interface TestLinksTables {
  test_links: { code: string; url: string };
}

/** A migrated SQLite file in a fresh temp dir, and every connection opened on it. */
export interface KeygenTestDb {
  readonly file: string;
  /** Opens one more connection to the same file (closed by `cleanup`). */
  open(): SqliteDatabase;
  /** Closes every connection and deletes the temp dir. */
  cleanup(): Promise<void>;
}

/** Creates the file, runs the keygen migrations and creates `test_links` on it. */
export async function createKeygenTestDb(): Promise<KeygenTestDb> {
  const dir = mkdtempSync(join(tmpdir(), 'keygen-'));
  const file = join(dir, 'keygen.db');
  const opened: SqliteDatabase[] = [];
  const open = (): SqliteDatabase => {
    const sql = new SqliteDatabase({ filename: file });
    opened.push(sql);
    return sql;
  };
  // Migrate once, before any concurrent connection exists: the migrator's lock is a no-op on SQLite.
  const first = open();
  await first.migrate(keygenMigrations);
  await tablesOf<TestLinksTables>(first).db.schema
    .createTable('test_links')
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('url', 'text', (c) => c.notNull())
    .execute();
  return {
    file,
    open,
    async cleanup() {
      await Promise.allSettled(opened.map((sql) => sql.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Inserts a link row; 'taken' when the code already exists, as the links repository will. */
export async function insertTestLink(sql: SqliteDatabase, code: string, url: string): Promise<string | 'taken'> {
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
  sql: SqliteDatabase;
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
export function allLinks(sql: SqliteDatabase): Promise<{ code: string; url: string }[]> {
  return tablesOf<TestLinksTables>(sql).db.selectFrom('test_links').selectAll().execute();
}
