import { expect, it } from 'vitest';
import { describeEachDialect } from '../sql/testing/test-databases.js';
import { DirectoryStrategy, directoryMigrations } from './directory-strategy.js';
import { HashStrategy } from './hash-strategy.js';
import { runShardStrategyContract } from './shard-strategy.contract.js';
import { ShardingError } from './shard-strategy.js';

const FALLBACK = HashStrategy.of(['s0', 's1', 's2']);

describeEachDialect('DirectoryStrategy', (dialect) => {
  /** A migrated catalog, and a way to reach it again as another process would. */
  async function catalog() {
    const created = await dialect.create();
    const first = created.connect();
    await first.migrate(directoryMigrations);
    return { first, other: () => created.connect() };
  }

  runShardStrategyContract('DirectoryStrategy', {
    async create() {
      const { first } = await catalog();
      const directory = await DirectoryStrategy.open(first, { fallback: FALLBACK, shards: ['s0', 's1', 's2', 'vip'] });
      await directory.assign(7n, 'vip');
      await directory.assign('8', 's0');
      return directory;
    },
    keys: Array.from({ length: 200 }, (_, i) => BigInt(i)),
  });

  it('routes keys it lists by the table, every other key by the fallback', async () => {
    const { first } = await catalog();
    const directory = await DirectoryStrategy.open(first, { fallback: FALLBACK, shards: ['s0', 's1', 's2', 'vip'] });
    expect(directory.size).toBe(0);
    expect(directory.shardOf(42n)).toBe(FALLBACK.shardOf(42n));
    await directory.assign(42n, 'vip');
    expect(directory.shardOf(42n)).toBe('vip');
    expect(directory.shardOf('42')).toBe('vip');
    expect(directory.entryOf(42n)).toBe('vip');
    expect(directory.shardOf(43n)).toBe(FALLBACK.shardOf(43n));
    expect(directory.shards()).toEqual(['s0', 's1', 's2', 'vip']);
    await directory.assign(42n, 's1');
    expect(directory.shardOf(42n)).toBe('s1');
    expect(await directory.unassign(42n)).toBe(true);
    expect(await directory.unassign(42n)).toBe(false);
    expect(directory.shardOf(42n)).toBe(FALLBACK.shardOf(42n));
    expect(await first.db.selectFrom('shard_directory' as never).selectAll().execute()).toEqual([]);
  });

  it('keeps its entries in the catalog: another process loads them, and sees changes at refresh', async () => {
    const { first, other } = await catalog();
    const writer = await DirectoryStrategy.open(first, { fallback: FALLBACK, shards: ['s0', 's1', 's2', 'vip'] });
    for (let i = 0; i < 25; i++) await writer.assign(BigInt(i), i % 2 ? 'vip' : 's0');
    // Pages of 4 entries: the load reads several pages.
    const reader = await DirectoryStrategy.open(other(), { fallback: FALLBACK, shards: ['s0', 's1', 's2', 'vip'], pageSize: 4 });
    expect(reader.size).toBe(25);
    expect(reader.shardOf(3n)).toBe('vip');
    await writer.assign(100n, 'vip');
    await writer.unassign(3n);
    expect(reader.shardOf(100n)).toBe(FALLBACK.shardOf(100n));
    await reader.refresh();
    expect(reader.shardOf(100n)).toBe('vip');
    expect(reader.shardOf(3n)).toBe(FALLBACK.shardOf(3n));
    expect(reader.size).toBe(25);
  });

  it('keeps a change made while a refresh reads the table', async () => {
    const { first } = await catalog();
    const directory = await DirectoryStrategy.open(first, { fallback: FALLBACK, shards: ['s0', 'vip'], pageSize: 2 });
    for (let i = 0; i < 20; i++) await directory.assign(BigInt(i), 's0');
    const refreshing = directory.refresh();
    const assigning = directory.assign(999n, 'vip');
    const removing = directory.unassign(0n);
    await Promise.all([refreshing, assigning, removing]);
    expect(directory.shardOf(999n)).toBe('vip');
    expect(directory.entryOf(0n)).toBeUndefined();
    await directory.refresh();
    expect(directory.shardOf(999n)).toBe('vip');
    expect(directory.size).toBe(20);
  });

  it('refuses a shard it does not know, and an over-long key', async () => {
    const { first } = await catalog();
    const directory = await DirectoryStrategy.open(first, { fallback: FALLBACK });
    await expect(directory.assign(1n, 'nowhere')).rejects.toThrow(ShardingError);
    await expect(directory.assign('x'.repeat(256), 's0')).rejects.toThrow(/255/);
    expect(directory.size).toBe(0);
  });
});
