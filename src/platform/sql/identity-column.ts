import type { ColumnDataType, ColumnDefinitionBuilder } from 'kysely';
import type { SqlDialectName } from './sql.port.js';

/**
 * An integer primary key the database assigns, never reused, so ids only grow: SQLite's
 * AUTOINCREMENT rowid, PostgreSQL's 64-bit identity (its `integer` is 32-bit, and Kysely's
 * `autoIncrement()` is MySQL syntax there). Use as `.addColumn('id', ...identityColumn(dialect))`.
 */
export function identityColumn(dialect: SqlDialectName): [ColumnDataType, (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder] {
  return dialect === 'postgres'
    ? ['bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity()]
    : ['integer', (c) => c.primaryKey().autoIncrement()];
}
