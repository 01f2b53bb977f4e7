/**
 * A user id, as the callers hold it: a bigint, or its text (what PostgreSQL answers for int8
 * beyond 2^53, and what text ids are). Every strategy routes a bigint and its decimal text alike:
 * `42n` and `'42'` always land on the same shard.
 */
export type ShardKey = bigint | string;

/** Which shard holds a key: the one interface of the hash, range and directory shard maps. */
export interface ShardStrategy {
  /** The name of the shard that owns `key`; throws {@link ShardingError} when none does. */
  shardOf(key: ShardKey): string;
  /** Every shard this strategy can answer, sorted, without duplicates. */
  shards(): string[];
}

/** A sharding misconfiguration or a key no shard owns; a stable `code` for logs and tests. */
export class ShardingError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShardingError';
    this.code = code;
  }
}

/** The text a key is hashed and looked up by: a bigint's decimal digits, a string as it is. */
export function keyText(key: ShardKey): string {
  if (typeof key === 'bigint') return key.toString();
  if (typeof key === 'string') return key;
  throw new ShardingError('bad_key', `a shard key is a bigint or a string, got ${typeof key}`);
}

/** A shard name: non-empty, at most 64 characters, printable. */
export function checkShardName(name: string): string {
  if (typeof name !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(name)) {
    throw new ShardingError('bad_shard_name', `a shard name is 1..64 printable ASCII characters, got ${JSON.stringify(name)}`);
  }
  return name;
}
