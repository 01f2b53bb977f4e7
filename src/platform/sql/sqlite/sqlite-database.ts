import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, type CompiledQuery, type DatabaseConnection, type Driver, type Migration, type SqliteDatabase as KyselySqliteHandle } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { SqlDatabase } from '../sql.port.js';
import { runMigrations } from '../migrator.js';
import { offThreadDurability, type WalCheckpointer } from './wal-checkpointer.js';
import type { WalSync } from './wal-sync.js';

export interface SqliteOptions {
  /** File path, or ':memory:'. */
  filename: string;
  /**
   * `full`: a write survives power loss once it is acknowledged (its commit synced before its
   * promise resolves, off the event loop: see WalSync); `normal`: it survives a process crash, not
   * an OS crash (WAL mode). Connections made with `openSqlite` sync on the thread itself.
   */
  synchronous?: 'normal' | 'full';
  /** Page cache per connection (default 32 MiB; SQLite's own default is 2 MiB). */
  cacheMiB?: number;
  /** When and how often the log is checkpointed off the thread (`full` on a file; see WalCheckpointer). */
  checkpoints?: { intervalMs?: number; startAfterSyncs?: number };
}

/** Opens a better-sqlite3 connection with the pragmas every embedded file uses. */
export function openSqlite(options: SqliteOptions): Database.Database {
  if (options.filename !== ':memory:') mkdirSync(dirname(options.filename), { recursive: true });
  const raw = new Database(options.filename);
  raw.pragma('journal_mode = WAL');
  raw.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = ON');
  // A multi-row INSERT ... ON CONFLICT keeps a statement journal; on disk that is a temporary file
  // created, unlinked and closed per statement (four syscalls per group of new links).
  raw.pragma('temp_store = MEMORY');
  // Index inserts land all over a large B-tree (clicks by code); a small cache turns them into reads.
  raw.pragma(`cache_size = -${(options.cacheMiB ?? 32) * 1024}`);
  return raw;
}

/**
 * Kysely prepares every query it runs; SQLite's prepare (parsing, planning) then costs more than
 * running a small statement. Statements are cached by their SQL text, which Kysely keeps stable
 * for the same query shape. A statement still busy (being iterated) is never handed out twice.
 * `last` is the statement prepared last: the one Kysely is running.
 */
function withStatementCache(raw: Database.Database, size: number): KyselySqliteHandle & { last: Database.Statement | undefined } {
  const cache = new LRUCache<string, Database.Statement>({ max: size });
  const handle = {
    last: undefined as Database.Statement | undefined,
    close: () => raw.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement === undefined || statement.busy) {
        statement = raw.prepare(sql);
        cache.set(sql, statement);
      }
      handle.last = statement;
      return statement;
    },
  };
  return handle;
}

/**
 * Kysely's SQLite driver, with every write made durable before it is acknowledged through
 * `sync`: after a transaction's commit, and after a write outside a transaction (autocommit).
 * The sync is awaited once the connection is released, not while it is held: the next transaction
 * runs its statements and commits while the log is being synced for the previous one (and is
 * covered by the sync after), so the one writer is not idle for the length of every fdatasync —
 * measured before this, the API thread of `bench:create` idled a third of the time.
 */
class DurableSqliteDialect extends SqliteDialect {
  readonly #create: () => Driver;

  constructor(handle: ReturnType<typeof withStatementCache>, raw: Database.Database, sync: WalSync) {
    super({ database: handle });
    const base = () => super.createDriver();
    this.#create = () => durable(base(), handle, raw, sync);
  }

  override createDriver(): Driver {
    return this.#create();
  }
}

/** Kysely's driver, delegated to, with writes synced before they are acknowledged. */
function durable(driver: Driver, handle: ReturnType<typeof withStatementCache>, raw: Database.Database, sync: WalSync): Driver {
  const wrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();
  /** The sync a connection's holder waits for when it releases it (one commit's, or a later one's). */
  const owed = new WeakMap<DatabaseConnection, Promise<void>>();
  const wrap = (connection: DatabaseConnection): DatabaseConnection => {
    let found = wrapped.get(connection);
    if (found === undefined) {
      found = {
        async executeQuery<R>(query: CompiledQuery) {
          const result = await connection.executeQuery<R>(query);
          // A write that committed by itself (BEGIN and COMMIT count as read-only statements).
          if (!raw.inTransaction && handle.last?.readonly === false) owed.set(connection, sync.sync());
          return result;
        },
        streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
      };
      wrapped.set(connection, found);
    }
    return found;
  };
  // Kysely hands our wrapper back to the driver's own methods, which want their connection.
  const unwrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const own = (connection: DatabaseConnection) => unwrapped.get(connection) ?? connection;
  return {
    init: () => driver.init(),
    async acquireConnection() {
      const connection = await driver.acquireConnection();
      const outer = wrap(connection);
      unwrapped.set(outer, connection);
      return outer;
    },
    beginTransaction: (connection, settings) => driver.beginTransaction(own(connection), settings),
    async commitTransaction(connection) {
      await driver.commitTransaction(own(connection));
      owed.set(own(connection), sync.sync());
    },
    rollbackTransaction: (connection) => driver.rollbackTransaction(own(connection)),
    savepoint: (connection, name, compile) => driver.savepoint!(own(connection), name, compile),
    rollbackToSavepoint: (connection, name, compile) => driver.rollbackToSavepoint!(own(connection), name, compile),
    releaseSavepoint: (connection, name, compile) => driver.releaseSavepoint!(own(connection), name, compile),
    async releaseConnection(connection) {
      // Taken before the connection is free: the next holder's commit owes a sync of its own.
      const inner = own(connection);
      const pending = owed.get(inner);
      owed.delete(inner);
      await driver.releaseConnection(inner);
      // A failed sync fails the write's promise (it was committed, not acknowledged), as before.
      await pending;
    },
    destroy: () => driver.destroy(),
  };
}

/** The embedded SQL adapter: Kysely over one better-sqlite3 connection in WAL mode. */
export class SqliteDatabase<DB = unknown> implements SqlDatabase<DB> {
  readonly dialect = 'sqlite' as const;
  readonly db: Kysely<DB>;
  /**
   * One connection runs one write transaction at a time; with the log synced off the thread, a
   * second one is worth starting: it runs while the first waits for its sync (DurableSqliteDialect).
   */
  readonly writeConcurrency: number;
  /** The connection, for adapters in this folder that need synchronous statements. */
  readonly raw: Database.Database;

  readonly #sync: WalSync | undefined;
  /** Checkpoints the log on a thread of its own once the database is written to in earnest (`full` on a file). */
  readonly checkpointer: WalCheckpointer | undefined;

  constructor(options: SqliteOptions) {
    // `full` on a file: SQLite commits at NORMAL and the driver syncs the log off the thread; the
    // log is checkpointed off the thread as well.
    const offThread = options.synchronous === 'full' && options.filename !== ':memory:';
    this.raw = openSqlite(offThread ? { ...options, synchronous: 'normal' } : options);
    const handle = withStatementCache(this.raw, 500);
    const durability = offThread ? offThreadDurability(this.raw, options.filename, options.checkpoints) : undefined;
    this.checkpointer = durability?.checkpointer;
    this.#sync = durability?.sync;
    this.writeConcurrency = offThread ? 2 : 1;
    this.db = new Kysely<DB>({ dialect: this.#sync === undefined ? new SqliteDialect({ database: handle }) : new DurableSqliteDialect(handle, this.raw, this.#sync) });
  }

  /** Log syncs made for acknowledged writes (`synchronous: 'full'`); 0 otherwise. */
  get syncs(): number {
    return this.#sync?.syncs ?? 0;
  }

  isUniqueViolation(error: unknown): boolean {
    const code = (error as { code?: unknown } | null)?.code;
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  }

  /** One writer, and busy waits happen inside the busy timeout: nothing is worth trying again at once. */
  isTransient(): boolean {
    return false;
  }

  migrate(migrations: Record<string, Migration>): Promise<void> {
    return runMigrations(this.db as Kysely<unknown>, migrations);
  }

  async ping(): Promise<void> {
    this.raw.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    await this.checkpointer?.close();
    // Kysely's destroy closes the handle only if Kysely ever used it.
    await this.db.destroy();
    if (this.raw.open) this.raw.close();
    await this.#sync?.close();
  }
}
