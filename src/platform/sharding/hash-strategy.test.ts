import { describe, expect, it } from 'vitest';
import { HashStrategy } from './hash-strategy.js';
import { runShardStrategyContract } from './shard-strategy.contract.js';
import { ShardingError } from './shard-strategy.js';

const USERS = Array.from({ length: 50_000 }, (_, i) => BigInt(i + 1) * 7919n);

runShardStrategyContract('HashStrategy', { create: () => HashStrategy.of(['s0', 's1', 's2']), keys: USERS.slice(0, 2_000) });

describe('HashStrategy', () => {
  it('moves about 1/(N+1) of the keys when a shard is added, every one of them to the new shard', () => {
    const before = HashStrategy.of(['s0', 's1', 's2', 's3']);
    const after = before.withShard('s4');
    let moved = 0;
    for (const key of USERS) {
      const owner = after.shardOf(key);
      if (owner === before.shardOf(key)) continue;
      moved++;
      expect(owner).toBe('s4');
    }
    expect(moved / USERS.length).toBeGreaterThan(0.15);
    expect(moved / USERS.length).toBeLessThan(0.25);
  });

  it('versions its config: withShard is the next version, and a stored config routes the same', () => {
    const one = HashStrategy.of(['b', 'a'], { vnodes: 64 });
    expect(one.config).toEqual({ version: 1, shards: ['a', 'b'], vnodes: 64 });
    const two = one.withShard('c');
    expect(two.config).toEqual({ version: 2, shards: ['a', 'b', 'c'], vnodes: 64 });
    expect(one.shards()).toEqual(['a', 'b']);
    const restored = new HashStrategy(JSON.parse(JSON.stringify(two.config)) as typeof two.config);
    for (const key of USERS.slice(0, 1_000)) expect(restored.shardOf(key)).toBe(two.shardOf(key));
    expect(Object.isFrozen(two.config)).toBe(true);
  });

  it('hashes a key by its text, as the balancer ring does', () => {
    const strategy = HashStrategy.of(['x', 'y', 'z']);
    expect(strategy.shardOf(123n)).toBe(strategy.shardOf('123'));
    // Text ids are keys too.
    expect(['x', 'y', 'z']).toContain(strategy.shardOf('alice'));
  });

  it('refuses an empty ring, a shard named twice, a bad name, and adding a shard it has', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        expect(error).toBeInstanceOf(ShardingError);
        return (error as ShardingError).code;
      }
      throw new Error('expected a ShardingError');
    };
    expect(code(() => HashStrategy.of([]))).toBe('bad_ring');
    expect(code(() => HashStrategy.of(['a', 'a']))).toBe('bad_ring');
    expect(code(() => HashStrategy.of(['has space']))).toBe('bad_shard_name');
    expect(code(() => new HashStrategy({ version: -1, shards: ['a'] }))).toBe('bad_ring');
    expect(code(() => HashStrategy.of(['a']).withShard('a'))).toBe('shard_exists');
    expect(code(() => HashStrategy.of(['a']).shardOf(42 as unknown as bigint))).toBe('bad_key');
  });
});
