import type { ColumnType } from 'kysely';

/**
 * A bigint column as drivers return it: better-sqlite3 gives a number, node-postgres a string.
 * Inserted as a number; updates take the selected type so `next_value + n` type-checks.
 */
export type BigintColumn = ColumnType<number | string | bigint, number, number | string | bigint>;

/** The tables the keygen owns (created by `keygenMigrations`). */
export interface KeygenTables {
  keygen_counters: {
    name: string;
    /** The first value not yet leased by anyone. */
    next_value: BigintColumn;
  };
  keygen_pool: {
    code: string;
  };
}
