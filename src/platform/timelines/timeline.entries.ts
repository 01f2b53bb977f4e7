import type { TimelineEntry } from './timeline.port.js';

/** The largest id: snowflakes are positive signed 64-bit integers, so big-endian bytes sort like the numbers. */
export const MAX_ID = (1n << 63n) - 1n;

/** Throws a RangeError unless `id` is a bigint in [0, 2^63 - 1]. */
export function checkId(id: bigint, what = 'id'): bigint {
  if (typeof id !== 'bigint' || id < 0n || id > MAX_ID) throw new RangeError(`${what} must be a bigint in [0, 2^63 - 1], got ${String(id)}`);
  return id;
}

/** Throws a RangeError unless both ids of the entry are valid. */
export function checkEntry(entry: TimelineEntry): TimelineEntry {
  checkId(entry.tweetId, 'tweetId');
  checkId(entry.authorId, 'authorId');
  return entry;
}

/** Throws a RangeError unless `n` is an integer >= `min`. */
export function checkInteger(n: number, what: string, min: number): number {
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`${what} must be an integer >= ${min}, got ${n}`);
  return n;
}

/**
 * What a timeline holds after `replace(entries)`: newest first, one entry per tweet id (the first
 * given wins), at most `capacity`. Both adapters use it, so a rebuild means the same everywhere.
 */
export function normalize(entries: readonly TimelineEntry[], capacity: number): TimelineEntry[] {
  for (const e of entries) checkEntry(e);
  // A stable sort keeps the first of equal ids first, which the dedup below then keeps.
  const sorted = entries.slice().sort((a, b) => (a.tweetId > b.tweetId ? -1 : a.tweetId < b.tweetId ? 1 : 0));
  const out: TimelineEntry[] = [];
  for (const e of sorted) {
    if (out.length === capacity) break;
    if (out.length > 0 && out[out.length - 1]!.tweetId === e.tweetId) continue;
    out.push({ tweetId: e.tweetId, authorId: e.authorId });
  }
  return out;
}
