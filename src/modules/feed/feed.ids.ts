import { sql, type RawBuilder } from 'kysely';

const MAX_ID = (1n << 63n) - 1n;

/**
 * An id from the outside (path, cursor, user id) as a bigint, or null when it is not one: decimal
 * digits only, within a signed 64-bit integer (beyond it the engines would refuse the parameter).
 */
export function parseId(text: string): bigint | null {
  if (!/^[0-9]{1,19}$/.test(text)) return null;
  const id = BigInt(text);
  return id <= MAX_ID ? id : null;
}

/** A user id from the accounts module (a decimal snowflake); throws on anything else. */
export function userIdOf(text: string): bigint {
  const id = parseId(text);
  if (id === null) throw new TypeError(`not a user id: ${text}`);
  return id;
}

/**
 * Reads an integer id column exactly: both engines turn a 64-bit integer into its decimal text
 * without going through a double. The repositories select ids only through this.
 */
export function idText(column: string): RawBuilder<string> {
  return sql<string>`cast(${sql.ref(column)} as text)`;
}
