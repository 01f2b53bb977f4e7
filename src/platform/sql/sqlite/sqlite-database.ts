import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, type Migration, type SqliteDatabase as KyselySqliteHandle } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { SqlDatabase } from '../sql.port.js';
import { runMigrations } from '../migrator.js';

export interface SqliteOptions {
  /** File path, or ':memory:'. */
  filename: string;
  /** `full` survives power loss; `normal` survives a process crash, not an OS crash (WAL mode). */
  synchronous?: 'normal' | 'full';
  /** Page cache per connection (default 32 MiB; SQLite's own default is 2 MiB). */
  cacheMiB?: number;
}

/** Opens a better-sqlite3 connection with the pragmas every embedded file uses. */
export function openSqlite(options: SqliteOptions): Database.Database {
  if (options.filename !== ':memory:') mkdirSync(dirname(options.filename), { recursive: true });
  const raw = new Database(options.filename);
  raw.pragma('journal_mode = WAL');
  raw.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  // Index inserts land all over a large B-tree (clicks by code); a small cache turns them into reads.
  raw.pragma(`cache_size = -${(options.cacheMiB ?? 32) * 1024}`);
  return raw;
}

/**
 * Kysely prepares every query it runs; SQLite's prepare (parsing, planning) then costs more than
 * running a small statement. Statements are cached by their SQL text, which Kysely keeps stable
 * for the same query shape. A statement still busy (being iterated) is never handed out twice.
 */
function withStatementCache(raw: Database.Database, size: number): KyselySqliteHandle {
  const cache = new LRUCache<string, Database.Statement>({ max: size });
  return {
    close: () => raw.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement === undefined || statement.busy) {
        statement = raw.prepare(sql);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

/** The embedded SQL adapter: Kysely over one better-sqlite3 connection in WAL mode. */
export class SqliteDatabase<DB = unknown> implements SqlDatabase<DB> {
  readonly dialect = 'sqlite' as const;
  readonly db: Kysely<DB>;
  /** The connection, for adapters in this folder that need synchronous statements. */
  readonly raw: Database.Database;

  constructor(options: SqliteOptions) {
    this.raw = openSqlite(options);
    this.db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(this.raw, 500) }) });
  }

  isUniqueViolation(error: unknown): boolean {
    const code = (error as { code?: unknown } | null)?.code;
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  }

  migrate(migrations: Record<string, Migration>): Promise<void> {
    return runMigrations(this.db as Kysely<unknown>, migrations);
  }

  async ping(): Promise<void> {
    this.raw.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    // Kysely's destroy closes the handle only if Kysely ever used it.
    await this.db.destroy();
    if (this.raw.open) this.raw.close();
  }
}
