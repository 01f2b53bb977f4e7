import { describe, expect, it } from 'vitest';
import type { ShardStrategy } from './shard-strategy.js';

/** How the contract reaches a strategy, and user ids it must route (all owned by some shard). */
export interface ShardStrategyFactory {
  create(): ShardStrategy | Promise<ShardStrategy>;
  keys: readonly bigint[];
}

/**
 * What every shard map promises whatever its algorithm: each key goes to one of its shards, the
 * same one every time, the same for a bigint and its decimal text; `shards` is sorted and unique.
 * Each strategy's test calls this.
 */
export function runShardStrategyContract(name: string, factory: ShardStrategyFactory): void {
  describe(`${name} (shard strategy contract)`, () => {
    it('routes every key to one of its shards, the same one every time', async () => {
      const strategy = await factory.create();
      const shards = new Set(strategy.shards());
      for (const key of factory.keys) {
        const shard = strategy.shardOf(key);
        expect(shards.has(shard), `${key} -> ${shard}`).toBe(true);
        expect(strategy.shardOf(key)).toBe(shard);
      }
    });

    it('routes a bigint and its decimal text alike', async () => {
      const strategy = await factory.create();
      for (const key of factory.keys) expect(strategy.shardOf(key.toString())).toBe(strategy.shardOf(key));
    });

    it('lists its shards sorted, once each, and a copy the caller may change', async () => {
      const strategy = await factory.create();
      const shards = strategy.shards();
      expect(shards.length).toBeGreaterThan(0);
      expect(shards).toEqual([...new Set(shards)].sort());
      shards.pop();
      expect(strategy.shards()).toHaveLength(shards.length + 1);
    });
  });
}
