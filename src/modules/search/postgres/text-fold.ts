import { sql, type Kysely } from 'kysely';

/**
 * `search_fold(text)`: the text as the index and the queries see it, lower-case and without
 * accents, so that "Café" matches "cafe" as FTS5's `remove_diacritics` does. An SQL function, so
 * that the document and the query go through exactly the same folding, inside the database.
 */
export const FOLD_FUNCTION = 'search_fold';

/** How `search_fold` folds, decided once by the migration from what the server offers. */
export interface FoldMethod {
  /** Schema of the `unaccent` extension; null: fold with the built-in table below instead. */
  unaccentSchema: string | null;
  /** Lower-case with ICU's root collation (`und-x-icu`): Unicode case folding whatever the database's LC_CTYPE. */
  icu: boolean;
}

/** Latin-1 Supplement and Latin Extended-A/B, Greek, Latin Extended Additional (Vietnamese). */
const ACCENTED_RANGES = [[0xc0, 0x24f], [0x370, 0x3ff], [0x1e00, 0x1eff]] as const;

/**
 * Letters with diacritics and the letter without them, for servers without `unaccent`: what NFD
 * decomposes (é = e + U+0301), plus the letters that carry their stroke in the glyph. Combining
 * marks (U+0300..U+036F) come last in `from`, beyond `to`, so `translate` deletes them.
 */
export function foldTable(): { from: string; to: string } {
  let from = '';
  let to = '';
  for (const [first, last] of ACCENTED_RANGES) {
    for (let cp = first; cp <= last; cp++) {
      const ch = String.fromCodePoint(cp);
      const base = ch.normalize('NFD').replace(/\p{M}/gu, '');
      if (base !== ch && base.length === 1) {
        from += ch;
        to += base;
      }
    }
  }
  const stroked: Record<string, string> = { Ø: 'O', ø: 'o', Đ: 'D', đ: 'd', Ł: 'L', ł: 'l', Ħ: 'H', ħ: 'h', Ŧ: 'T', ŧ: 't', Ƶ: 'Z', ƶ: 'z', ı: 'i' };
  for (const [ch, base] of Object.entries(stroked)) {
    from += ch;
    to += base;
  }
  for (let cp = 0x300; cp <= 0x36f; cp++) from += String.fromCodePoint(cp);
  return { from, to };
}

/**
 * Creates the folding function under `name` in the current schema. Immutable (the index depends
 * on it), with the SQL-standard body: resolved when created, so it never depends on the
 * search_path of the session that calls it.
 */
export async function createFoldFunction(db: Kysely<unknown>, name: string, method: FoldMethod): Promise<void> {
  const unaccented =
    method.unaccentSchema === null
      ? sql`translate(t, ${sql.lit(foldTable().from)}, ${sql.lit(foldTable().to)})`
      : sql`${sql.id(method.unaccentSchema, 'unaccent')}(${sql.lit(`${method.unaccentSchema}.unaccent`)}::regdictionary, t)`;
  const lowered = method.icu ? sql`lower(${unaccented} collate "und-x-icu")` : sql`lower(${unaccented})`;
  // Final sigma: JavaScript lower-cases a query's "ΟΣ" to "ος", the database a document's to "οσ".
  await sql`create function ${sql.id(name)}(t text) returns text language sql immutable strict parallel safe return translate(${lowered}, 'ς', 'σ')`.execute(db);
}

/**
 * Makes sure `unaccent` is installed, if the server has it; answers its schema, or null. It goes
 * to `public` (when there is one), shared by every schema: installed in a schema of its own, it
 * would be dropped with that schema (a test's, say), and the folding of every other schema with it.
 * Creating an extension may be refused (privileges): then the built-in table folds instead.
 */
export async function ensureUnaccent(db: Kysely<unknown>): Promise<string | null> {
  const installed = await sql<{ schema: string }>`
    select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'unaccent'`.execute(db);
  if (installed.rows[0] !== undefined) return installed.rows[0].schema;
  const available = await sql`select 1 from pg_available_extensions where name = 'unaccent'`.execute(db);
  if (available.rows.length === 0) return null;
  const target = await sql<{ schema: string | null }>`
    select coalesce((select nspname from pg_namespace where nspname = 'public'), current_schema()) as schema`.execute(db);
  const schema = target.rows[0]?.schema;
  if (schema == null) return null;
  // Migrations run in one transaction on PostgreSQL: a refusal must not abort it.
  await sql`savepoint search_unaccent`.execute(db);
  try {
    await sql`create extension if not exists unaccent schema ${sql.id(schema)}`.execute(db);
    await sql`release savepoint search_unaccent`.execute(db);
    return schema;
  } catch {
    await sql`rollback to savepoint search_unaccent`.execute(db);
    return null;
  }
}

/** Whether ICU's root collation exists (PostgreSQL built with ICU). */
export async function hasIcu(db: Kysely<unknown>): Promise<boolean> {
  const { rows } = await sql`select 1 from pg_collation where collname = 'und-x-icu'`.execute(db);
  return rows.length > 0;
}
