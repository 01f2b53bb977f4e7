import { checkShardName, keyText, ShardingError, type ShardKey, type ShardStrategy } from './shard-strategy.js';

/** User ids in `[from, to)` live on `shard`; `to: null` is the open end of the last range. */
export interface ShardRange {
  readonly from: bigint;
  readonly to: bigint | null;
  readonly shard: string;
}

/**
 * Range sharding: sorted, contiguous `[from, to)` ranges of integer user ids, each owned by one
 * shard (a shard may own several). Validated when built: sorted, no empty range, no gap and no
 * overlap between neighbours; keys below the first `from` or past the last `to` belong to no
 * shard and are refused. Lookup is a binary search over the range starts.
 */
export class RangeStrategy implements ShardStrategy {
  readonly #starts: bigint[];
  readonly #ends: (bigint | null)[];
  readonly #owners: string[];
  readonly #shards: string[];

  constructor(ranges: readonly ShardRange[]) {
    if (ranges.length === 0) throw new ShardingError('bad_ranges', 'range sharding needs at least one range');
    ranges.forEach((range, i) => {
      checkShardName(range.shard);
      if (typeof range.from !== 'bigint' || (range.to !== null && typeof range.to !== 'bigint')) {
        throw new ShardingError('bad_ranges', `range ${i}: bounds are bigints (to may be null)`);
      }
      if (range.to !== null && range.to <= range.from) throw new ShardingError('bad_ranges', `range ${i} [${range.from}, ${range.to}) is empty`);
      const next = ranges[i + 1];
      if (next === undefined) return;
      if (range.to === null) throw new ShardingError('bad_ranges', `range ${i} is open-ended but range ${i + 1} follows it`);
      if (next.from > range.to) throw new ShardingError('bad_ranges', `gap between ${range.to} and ${next.from} (ranges ${i} and ${i + 1})`);
      if (next.from < range.to) throw new ShardingError('bad_ranges', `ranges ${i} and ${i + 1} overlap (or are out of order) at ${next.from}`);
    });
    this.#starts = ranges.map((r) => r.from);
    this.#ends = ranges.map((r) => r.to);
    this.#owners = ranges.map((r) => r.shard);
    this.#shards = [...new Set(this.#owners)].sort();
  }

  shardOf(key: ShardKey): string {
    const id = toId(key);
    const starts = this.#starts;
    // The last range starting at or below `id`.
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= id) lo = mid + 1;
      else hi = mid;
    }
    const i = lo - 1;
    const end = this.#ends[i];
    if (i < 0 || (end !== null && end !== undefined && id >= end)) throw new ShardingError('key_out_of_range', `no shard owns user id ${id}`);
    return this.#owners[i]!;
  }

  shards(): string[] {
    return [...this.#shards];
  }
}

function toId(key: ShardKey): bigint {
  if (typeof key === 'bigint') return key;
  const text = keyText(key);
  if (!/^-?[0-9]+$/.test(text)) throw new ShardingError('bad_key', `range sharding needs integer user ids, got ${JSON.stringify(text)}`);
  return BigInt(text);
}
