import { TypeOverrides } from 'pg';

const INT8 = 20;
const NUMERIC = 1700;

/**
 * An integer as the port answers it on every engine: a number when it is exact as one (what
 * better-sqlite3 answers for INTEGER), else the exact decimal text, never a rounded number.
 * Fractional numerics stay text: a decimal is not a double.
 */
export function parseInteger(text: string): number | string {
  if (!/^-?[0-9]+$/.test(text)) return text;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/**
 * node-postgres answers int8 (count(*), sum() of integers, bigint columns) and numeric as strings,
 * where SQLite answers numbers; these parsers make both engines answer the same for every value a
 * JavaScript number holds exactly, so repositories read ids and counters through one code path.
 * Per pool, not pg's global table, so that no other user of pg in the process sees a change.
 * 64-bit snowflakes beyond 2^53 come back as text here; repositories select them as
 * `cast(... as text)` anyway, which is exact on both engines.
 */
export function portableTypes(): TypeOverrides {
  const types = new TypeOverrides();
  types.setTypeParser(INT8, parseInteger);
  types.setTypeParser(NUMERIC, parseInteger);
  return types;
}
