import { Kysely, sql, type Migration } from 'kysely';
import { Pool } from 'pg';
import { runMigrations } from '../migrator.js';
import type { SqlDatabase } from '../sql.port.js';
import { PreparedStatementPool } from './prepared-pool.js';
import { portableTypes } from './postgres-values.js';
import { SearchPathPostgresDialect } from './search-path-introspector.js';

export interface PostgresOptions {
  /** `postgres://user[:password]@host[:port]/database[?sslmode=...]`. */
  connectionString: string;
  /**
   * The schema that holds this database's tables: the only entry of every connection's
   * search_path, created by `migrate` if missing. Default: the server's search_path (`public`).
   * Tests give each database a fresh one, so that they never meet.
   */
  schema?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /**
   * Query shapes prepared by name per connection (default 500); 0 prepares none, for proxies that
   * pool by transaction and cannot keep a session's statements (PgBouncer before 1.21).
   */
  preparedStatements?: number;
  /** Longest a statement may run, in ms (default: the server's, usually none). */
  statementTimeoutMs?: number;
  /**
   * Told about errors of pooled connections, idle or checked out (e.g. the server restarted or the
   * network dropped); the pool replaces them.
   */
  onError?: (error: Error) => void;
  /** Told about each new pooled connection (the pool opens them on demand and closes idle ones). */
  onConnect?: () => void;
}

/** SQLSTATE of unique_violation (a primary key or a unique index). */
const UNIQUE_VIOLATION = '23505';
const DEADLOCK_DETECTED = '40P01';
const SERIALIZATION_FAILURE = '40001';
/** Lower-case identifiers only: no quoting rules to get wrong in the startup options. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The production SQL adapter: Kysely over a node-postgres pool. Every query goes with the extended
 * protocol, its values as bound parameters, never in the SQL text; query shapes are prepared once
 * per connection and then only executed (see prepared-pool.ts), as the SQLite adapter caches its
 * statements.
 */
export class PostgresDatabase<DB = unknown> implements SqlDatabase<DB> {
  readonly dialect = 'postgres' as const;
  readonly db: Kysely<DB>;
  /** Half the pool: write transactions side by side, with connections left for reads. */
  readonly writeConcurrency: number;
  readonly #pool: Pool;
  readonly #schema: string | undefined;

  constructor(options: PostgresOptions) {
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      throw new RangeError(`schema must match ${SCHEMA_NAME}, got ${JSON.stringify(options.schema)}`);
    }
    this.#schema = options.schema;
    this.writeConcurrency = Math.max(1, Math.floor((options.poolSize ?? 10) / 2));
    this.#pool = new Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
      application_name: 'blueprint',
      // Set at connection start-up: no extra round trip, and no connection ever runs without it.
      ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
      ...(options.statementTimeoutMs === undefined ? {} : { statement_timeout: options.statementTimeoutMs }),
      types: portableTypes(),
    });
    // A connection that breaks emits 'error'; unheard, that ends the process. The pool listens to
    // its idle connections only, so every connection gets a listener of its own, which also
    // covers one checked out between statements (a transaction); the pool drops it on release.
    const onError = options.onError ?? (() => {});
    this.#pool.on('connect', (client) => {
      client.on('error', onError);
      options.onConnect?.();
    });
    // Already told through the connection's own listener.
    this.#pool.on('error', () => {});
    this.db = new Kysely<DB>({ dialect: new SearchPathPostgresDialect({ pool: new PreparedStatementPool(this.#pool, { maxPerConnection: options.preparedStatements ?? 500 }) }) });
  }

  isUniqueViolation(error: unknown): boolean {
    return error instanceof Error && (error as { code?: unknown }).code === UNIQUE_VIOLATION;
  }

  isTransient(error: unknown): boolean {
    const code = (error as { code?: unknown } | null)?.code;
    return code === DEADLOCK_DETECTED || code === SERIALIZATION_FAILURE;
  }

  async migrate(migrations: Record<string, Migration>): Promise<void> {
    // Kysely finds its bookkeeping tables in any schema unless told which: name ours.
    const schema = this.#schema ?? (await sql<{ schema: string | null }>`select current_schema() as schema`.execute(this.db)).rows[0]?.schema;
    if (schema == null) throw new Error('the search_path names no existing schema: set PostgresOptions.schema');
    await runMigrations(this.db as Kysely<unknown>, migrations, { schema });
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    // Kysely ends the pool only if it ever used it; a query after this must still fail.
    await this.db.destroy();
    if (!this.#pool.ended) await this.#pool.end();
  }
}
