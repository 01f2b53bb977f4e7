import type { TimelineEntry } from '../timeline.port.js';

/** Bytes per entry: the tweet id, then the author id, each a big-endian signed 64-bit integer. */
export const ENTRY_BYTES = 16;

/** One 8-byte id (big-endian: for ids >= 0, byte order is numeric order). */
export function encodeId(id: bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigInt64BE(id);
  return b;
}

/** Entries, in the order given, as one string of 16-byte records. */
export function encodeEntries(entries: readonly TimelineEntry[]): Buffer {
  const b = Buffer.allocUnsafe(entries.length * ENTRY_BYTES);
  for (let i = 0; i < entries.length; i++) {
    b.writeBigInt64BE(entries[i]!.tweetId, i * ENTRY_BYTES);
    b.writeBigInt64BE(entries[i]!.authorId, i * ENTRY_BYTES + 8);
  }
  return b;
}

/** The entries of a string of 16-byte records, in reverse: stored oldest first, they come out newest first. */
export function decodeNewestFirst(b: Buffer): TimelineEntry[] {
  const n = Math.floor(b.length / ENTRY_BYTES);
  const out: TimelineEntry[] = new Array<TimelineEntry>(n);
  for (let i = 0; i < n; i++) {
    const at = (n - 1 - i) * ENTRY_BYTES;
    out[i] = { tweetId: b.readBigInt64BE(at), authorId: b.readBigInt64BE(at + 8) };
  }
  return out;
}
