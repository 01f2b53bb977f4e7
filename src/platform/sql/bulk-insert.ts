import type { CompiledQuery, InsertQueryBuilder, Kysely } from 'kysely';

/** Adds clauses after VALUES (e.g. ON CONFLICT); they must not take parameters. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the table is named at run time
export type InsertModifier = (query: InsertQueryBuilder<any, any, any>) => InsertQueryBuilder<any, any, any>;

/**
 * Inserts many rows of one shape in chunks, compiling the multi-row INSERT once per chunk size
 * and then only swapping its parameters: building Kysely's query tree for every value of every
 * row would cost more than SQLite's own work. Portable: the SQL is whatever the dialect compiles.
 */
export class BulkInsert<Row extends object> {
  readonly #table: string;
  readonly #columns: readonly (keyof Row & string)[];
  readonly #chunk: number;
  readonly #modify: InsertModifier;
  /** By dialect (its adapter), then by rows per statement. */
  readonly #compiled = new Map<unknown, Map<number, CompiledQuery>>();

  constructor(table: string, columns: readonly (keyof Row & string)[], options: { chunk?: number; modify?: InsertModifier } = {}) {
    this.#table = table;
    this.#columns = columns;
    this.#chunk = options.chunk ?? 100;
    this.#modify = options.modify ?? ((q) => q);
  }

  /** Inserts `rows` (values in column order) through `db`, which may be a transaction. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any database or transaction holding the table
  async insert(db: Kysely<any>, rows: readonly (readonly unknown[])[]): Promise<void> {
    await this.insertReturning(db, rows);
  }

  /** Inserts `rows` and answers the rows the statement returns (with a modifier adding RETURNING), in chunk order. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any database or transaction holding the table
  async insertReturning<R = unknown>(db: Kysely<any>, rows: readonly (readonly unknown[])[]): Promise<R[]> {
    const out: R[] = [];
    for (let i = 0; i < rows.length; i += this.#chunk) {
      const part = rows.slice(i, i + this.#chunk);
      const parameters: unknown[] = [];
      for (const row of part) for (const v of row) parameters.push(v);
      const result = await db.executeQuery<R>({ ...(this.#statement(db, part.length) as CompiledQuery<R>), parameters });
      for (const r of result.rows) out.push(r);
    }
    return out;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the table is named at run time
  #statement(db: Kysely<any>, n: number): CompiledQuery {
    const dialect = db.getExecutor().adapter.constructor;
    let bySize = this.#compiled.get(dialect);
    if (bySize === undefined) this.#compiled.set(dialect, (bySize = new Map()));
    let compiled = bySize.get(n);
    if (compiled === undefined) {
      const placeholder = Object.fromEntries(this.#columns.map((c) => [c, null]));
      compiled = this.#modify(db.insertInto(this.#table).values(Array.from({ length: n }, () => placeholder))).compile();
      if (compiled.parameters.length !== n * this.#columns.length) throw new Error('BulkInsert: the modifier must not add parameters');
      bySize.set(n, compiled);
    }
    return compiled;
  }
}
