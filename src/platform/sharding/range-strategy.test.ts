import { describe, expect, it } from 'vitest';
import { RangeStrategy, type ShardRange } from './range-strategy.js';
import { runShardStrategyContract } from './shard-strategy.contract.js';
import { ShardingError } from './shard-strategy.js';

const RANGES: ShardRange[] = [
  { from: 0n, to: 1_000n, shard: 'r0' },
  { from: 1_000n, to: 5_000n, shard: 'r1' },
  { from: 5_000n, to: 2n ** 62n, shard: 'r2' },
  { from: 2n ** 62n, to: null, shard: 'r0' },
];

runShardStrategyContract('RangeStrategy', { create: () => new RangeStrategy(RANGES), keys: [0n, 1n, 999n, 1_000n, 4_999n, 5_000n, 2n ** 62n - 1n, 2n ** 62n, 2n ** 63n - 1n] });

function refusal(ranges: ShardRange[]): string {
  try {
    new RangeStrategy(ranges);
  } catch (error) {
    expect(error).toBeInstanceOf(ShardingError);
    return (error as Error).message;
  }
  throw new Error('expected the ranges to be refused');
}

describe('RangeStrategy', () => {
  it('routes each id to the range holding it: from inclusive, to exclusive, the open end unbounded', () => {
    const strategy = new RangeStrategy(RANGES);
    expect([0n, 999n, 1_000n, 4_999n, 5_000n, 2n ** 62n - 1n, 2n ** 62n, 10n ** 30n].map((k) => strategy.shardOf(k))).toEqual(['r0', 'r0', 'r1', 'r1', 'r2', 'r2', 'r0', 'r0']);
    expect(strategy.shardOf('4999')).toBe('r1');
    expect(strategy.shards()).toEqual(['r0', 'r1', 'r2']);
  });

  it('refuses ids outside every range, and keys that are not integers', () => {
    const strategy = new RangeStrategy([{ from: 10n, to: 20n, shard: 'a' }]);
    for (const key of [9n, 20n, -5n, '20']) expect(() => strategy.shardOf(key)).toThrow(/no shard owns/);
    for (const key of ['alice', '1.5', '', ' 12']) expect(() => strategy.shardOf(key)).toThrow(/integer user ids/);
  });

  it('validates: no gap, no overlap, sorted, none empty, only the last open', () => {
    expect(refusal([])).toMatch(/at least one/);
    expect(refusal([{ from: 0n, to: 10n, shard: 'a' }, { from: 11n, to: 20n, shard: 'b' }])).toMatch(/gap between 10 and 11/);
    expect(refusal([{ from: 0n, to: 10n, shard: 'a' }, { from: 9n, to: 20n, shard: 'b' }])).toMatch(/overlap/);
    expect(refusal([{ from: 10n, to: 20n, shard: 'a' }, { from: 0n, to: 10n, shard: 'b' }])).toMatch(/overlap \(or are out of order\)/);
    expect(refusal([{ from: 5n, to: 5n, shard: 'a' }])).toMatch(/empty/);
    expect(refusal([{ from: 0n, to: null, shard: 'a' }, { from: 10n, to: 20n, shard: 'b' }])).toMatch(/open-ended/);
    expect(refusal([{ from: 0, to: 10n, shard: 'a' } as unknown as ShardRange])).toMatch(/bigints/);
    expect(refusal([{ from: 0n, to: 10n, shard: '' }])).toMatch(/shard name/);
  });

  it('answers by binary search over many ranges', () => {
    const ranges = Array.from({ length: 1_000 }, (_, i) => ({ from: BigInt(i * 100), to: BigInt(i * 100 + 100), shard: `s${i % 7}` }));
    const strategy = new RangeStrategy(ranges);
    for (let id = 0; id < 100_000; id += 37) expect(strategy.shardOf(BigInt(id))).toBe(`s${Math.floor(id / 100) % 7}`);
  });
});
