import type { Kysely, Migration } from 'kysely';

export type SqlDialectName = 'sqlite' | 'postgres';

/**
 * The relational database as the modules see it: a Kysely instance over one engine plus the few
 * engine-specific answers the modules need. Modules write portable Kysely queries only.
 */
export interface SqlDatabase<DB = unknown> {
  readonly dialect: SqlDialectName;
  readonly db: Kysely<DB>;
  /** True when `error` is the engine's unique-constraint violation. */
  isUniqueViolation(error: unknown): boolean;
  /** True when a transaction that failed with `error` may succeed if tried again (deadlock, serialization failure). */
  isTransient(error: unknown): boolean;
  /** Write transactions worth running at once (1 for one writer; several for a server's pool). */
  readonly writeConcurrency: number;
  /** Applies the given migrations that have not run yet, in name order. */
  migrate(migrations: Record<string, Migration>): Promise<void>;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Views a database through the tables a module owns. Modules own disjoint tables. */
export function tablesOf<T>(sql: SqlDatabase<unknown>): SqlDatabase<T> {
  return sql as SqlDatabase<T>;
}
