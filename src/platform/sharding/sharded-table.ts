import { sql, type Expression, type ExpressionBuilder, type Kysely, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { SqlDatabase } from '../sql/index.js';
import { ShardingError } from './shard-strategy.js';

/** A table spread over the shards by a user-id column, as resharding sees it. */
export interface ShardedTable {
  readonly table: string;
  /** The column holding the shard key (tweets: `author_id`, timelines: `user_id`). */
  readonly keyColumn: string;
  /** The primary key's columns: copies are upserts on it, so running a copy twice is harmless. */
  readonly primaryKey: readonly string[];
  /**
   * A column every write sets to a value no lower than any value committed before it began
   * (a sequence id for an insert-only table, a per-shard `updated_at` clock): the catch-up after
   * the bulk copy re-copies only rows at or above the high-water mark read before it. Without
   * one, the catch-up copies every moving row again, inside the write fence. Index it.
   */
  readonly changedColumn?: string;
}

export type Row = Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tables are named at run time
export type AnyDb = Kysely<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a select over a table named at run time
export type AnySelect = SelectQueryBuilder<any, any, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- expressions over a table named at run time
type AnyEb = ExpressionBuilder<any, any>;

/** Most bound parameters per statement (SQLite allows 32,766, PostgreSQL 65,535). */
const MAX_PARAMETERS = 30_000;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Refuses names that are not plain identifiers (they are spliced into SQL as references). */
export function checkTable(table: ShardedTable): ShardedTable {
  const names = [table.table, table.keyColumn, ...table.primaryKey, ...(table.changedColumn === undefined ? [] : [table.changedColumn])];
  const bad = names.find((n) => typeof n !== 'string' || !IDENTIFIER.test(n));
  if (bad !== undefined) throw new ShardingError('bad_table', `not a plain identifier: ${JSON.stringify(bad)}`);
  if (table.primaryKey.length === 0) throw new ShardingError('bad_table', `${table.table} needs a primary key`);
  return table;
}

/** `pk > last` in primary-key order (a row comparison for a composite key). */
function afterPk(t: ShardedTable, last: Row): Expression<SqlBool> {
  const columns = sql.join(t.primaryKey.map((c) => sql.ref(c)));
  const values = sql.join(t.primaryKey.map((c) => last[c]));
  return sql<SqlBool>`(${columns}) > (${values})`;
}

/** Distinct keys of the table, in key order, `size` per page. */
export async function* keyPages(database: SqlDatabase, t: ShardedTable, size: number): AsyncGenerator<unknown[]> {
  const db = database.db as AnyDb;
  let last: unknown;
  for (let first = true; ; first = false) {
    let query = db.selectFrom(t.table).select(sql.ref(t.keyColumn).as('k')).distinct().orderBy(t.keyColumn).limit(size);
    if (!first) query = query.where(t.keyColumn, '>', last);
    const keys = (await query.execute()).map((r: Row) => r.k);
    if (keys.length > 0) yield keys;
    if (keys.length < size) return;
    last = keys.at(-1);
  }
}

/** Where PostgreSQL rows carry their whole content, as the text of `to_jsonb(row)`. */
const ROW_TEXT = '__sharding_row';

/**
 * Rows of the table in primary-key order, `size` per page, narrowed by `where`: every column, or
 * only `columns`. Whole rows are for {@link upsert} only: on PostgreSQL they hold the primary key,
 * the shard key and the row as JSON text, so that a copy is exact for every type (timestamps to
 * the microsecond, int8 and numeric beyond 2^53, json, arrays), which JavaScript values are not.
 */
export async function* rowPages(database: SqlDatabase, t: ShardedTable, size: number, where: (q: AnySelect) => AnySelect = (q) => q, columns?: readonly string[]): AsyncGenerator<Row[]> {
  const db = database.db as AnyDb;
  let last: Row | undefined;
  for (;;) {
    const from = db.selectFrom(t.table);
    const refs = (names: readonly string[]) => [...new Set(names)].map((c) => sql.ref(c).as(c));
    let query = where(
      columns !== undefined
        ? from.select(refs(columns))
        : database.dialect === 'postgres'
          ? from.select([...refs([...t.primaryKey, t.keyColumn]), sql<string>`cast(to_jsonb(${sql.table(t.table)}) as text)`.as(ROW_TEXT)])
          : from.selectAll(),
    );
    if (last !== undefined) query = query.where(afterPk(t, last));
    for (const c of t.primaryKey) query = query.orderBy(sql.ref(c));
    const rows = (await query.limit(size).execute()) as Row[];
    if (rows.length > 0) yield rows;
    if (rows.length < size) return;
    last = rows.at(-1);
  }
}

/** The highest `changedColumn` value committed (null on an empty table). */
export async function highWater(database: SqlDatabase, t: ShardedTable): Promise<unknown> {
  const db = database.db as AnyDb;
  const row = (await db.selectFrom(t.table).select((eb) => eb.fn.max(t.changedColumn!).as('hw')).executeTakeFirst()) as Row | undefined;
  return row?.hw ?? null;
}

/**
 * Inserts whole rows read by {@link rowPages}, replacing the rows with the same primary key (so a
 * copy run twice is harmless); chunked under the parameter limit.
 */
export async function upsert(database: SqlDatabase, t: ShardedTable, rows: readonly Row[]): Promise<void> {
  if (rows.length === 0) return;
  const db = database.db as AnyDb;
  const postgres = database.dialect === 'postgres';
  const columns = Object.keys(postgres ? (JSON.parse(rows[0]![ROW_TEXT] as string) as Row) : rows[0]!);
  const rest = columns.filter((c) => !t.primaryKey.includes(c));
  const chunk = postgres ? 1_000 : Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    if (postgres) {
      const json = `[${part.map((r) => r[ROW_TEXT] as string).join(',')}]`;
      const table = sql.table(t.table);
      const onConflict = rest.length === 0
        ? sql`do nothing`
        : sql`do update set ${sql.join(rest.map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`))}`;
      await sql`insert into ${table} select * from jsonb_populate_recordset(null::${table}, cast(${json} as jsonb)) on conflict (${sql.join(t.primaryKey.map((c) => sql.ref(c)))}) ${onConflict}`.execute(db);
      continue;
    }
    await db
      .insertInto(t.table)
      .values(part)
      .onConflict((oc) => {
        const target = oc.columns([...t.primaryKey]);
        return rest.length === 0 ? target.doNothing() : target.doUpdateSet((eb) => Object.fromEntries(rest.map((c) => [c, eb.ref(`excluded.${c}`)])));
      })
      .execute();
  }
}

/** The rows whose primary key is one of `pks`' (each a row holding the pk columns). */
function byPk(t: ShardedTable, pks: readonly Row[]): (eb: AnyEb) => Expression<SqlBool> {
  const [only, ...more] = t.primaryKey;
  if (more.length === 0) return (eb) => eb(only!, 'in', pks.map((r) => r[only!]));
  // Row values in IN need a subquery on SQLite, and typed values on PostgreSQL: an OR of ANDs is portable.
  return (eb) => eb.or(pks.map((r) => eb.and(t.primaryKey.map((c) => eb(c, '=', r[c])))));
}

/** Which of `pks` exist in the table, as {@link pkText} strings. */
export async function existingPks(database: SqlDatabase, t: ShardedTable, pks: readonly Row[]): Promise<Set<string>> {
  const db = database.db as AnyDb;
  const found = new Set<string>();
  for (const part of chunks(pks, Math.floor(1000 / t.primaryKey.length))) {
    const rows = (await db.selectFrom(t.table).select(t.primaryKey.map((c) => sql.ref(c).as(c))).where(byPk(t, part)).execute()) as Row[];
    for (const row of rows) found.add(pkText(t, row));
  }
  return found;
}

/** Deletes the rows with these primary keys; answers how many went. */
export async function deletePks(database: SqlDatabase, t: ShardedTable, pks: readonly Row[]): Promise<number> {
  const db = database.db as AnyDb;
  let deleted = 0;
  for (const part of chunks(pks, Math.floor(1000 / t.primaryKey.length))) {
    const result = await db.deleteFrom(t.table).where(byPk(t, part)).executeTakeFirst();
    deleted += Number(result.numDeletedRows);
  }
  return deleted;
}

/** Deletes every row of these keys; answers how many went. */
export async function deleteKeys(database: SqlDatabase, t: ShardedTable, keys: readonly unknown[]): Promise<number> {
  if (keys.length === 0) return 0;
  const db = database.db as AnyDb;
  const result = await db.deleteFrom(t.table).where(t.keyColumn, 'in', keys).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** A row's primary key as one string, to compare across databases. */
export function pkText(t: ShardedTable, row: Row): string {
  return JSON.stringify(t.primaryKey.map((c) => String(row[c])));
}

function* chunks<T>(items: readonly T[], size: number): Generator<readonly T[]> {
  for (let i = 0; i < items.length; i += Math.max(1, size)) yield items.slice(i, i + Math.max(1, size));
}
