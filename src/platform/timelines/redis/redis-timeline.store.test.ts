import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { SERVICES, shouldRun } from '../../../../test/helpers/services.js';
import { entry, runTimelineContract } from '../timeline.contract.js';
import type { TimelineStore } from '../timeline.port.js';
import { RedisTimelineStore } from './redis-timeline.store.js';
import { deleteKeys, redisFixture } from '../../redis/testing/redis-keys.js';

const fixture = redisFixture('tl-test');
const { nextPrefix } = fixture;

describe.runIf(await shouldRun('redis'))('RedisTimelineStore', () => {
  let redis: Redis;
  fixture.open((client) => (redis = client));

  const prefixes = new WeakMap<TimelineStore, string>();
  // The default slack, and none (a rewrite on every push to a full timeline): the window logic
  // must read the same whatever has gathered before it.
  for (const trimSlack of [undefined, 0]) {
    runTimelineContract(`RedisTimelineStore (trimSlack ${trimSlack ?? 'default'})`, {
      create: async (capacity) => {
        const prefix = nextPrefix();
        const store = new RedisTimelineStore(redis, { capacity, prefix, ...(trimSlack === undefined ? {} : { trimSlack }) });
        prefixes.set(store, prefix);
        return store;
      },
      dispose: async (store) => {
        await store.close();
        await deleteKeys(redis, `${prefixes.get(store)}*`);
      },
    });
  }

  it('stores a timeline as one string of 16-byte big-endian records, oldest first; empty is a zero-length string', async () => {
    const p = nextPrefix();
    const store = new RedisTimelineStore(redis, { prefix: p, capacity: 3 });
    await store.replace(7n, []);
    expect(await redis.exists(`${p}7`)).toBe(1);
    expect(await redis.strlen(`${p}7`)).toBe(0);
    await store.push([7n], entry(2n ** 62n + 1n, 258));
    await store.push([7n], entry(1, 3));
    const raw = await redis.getBuffer(`${p}7`);
    expect(raw?.toString('hex')).toBe('0000000000000001' + '0000000000000003' + '4000000000000001' + '0000000000000102');
    expect(await redis.pttl(`${p}7`)).toBe(-1);
    await store.removeTweet([7n], 1n);
    await store.removeAuthor(7n, 258n);
    expect(await redis.exists(`${p}7`)).toBe(1);
    expect(await redis.strlen(`${p}7`)).toBe(0);
  });

  it('keeps fallen-off entries before the window until an eighth of the capacity gathered, then cuts them', async () => {
    const p = nextPrefix();
    const store = new RedisTimelineStore(redis, { prefix: p, capacity: 16 });
    await store.replace(1n, Array.from({ length: 16 }, (_, i) => entry(i + 1)));
    await store.push([1n], entry(17));
    await store.push([1n], entry(18));
    expect(await redis.strlen(`${p}1`)).toBe(18 * 16);
    expect((await store.range(1n, 100))?.map((e) => Number(e.tweetId))).toEqual(Array.from({ length: 16 }, (_, i) => 18 - i));
    // The window is full and starts at 3: a late 2 (still in the bytes awaiting the cut) is older than it, so dropped.
    await store.push([1n], entry(2));
    expect(await store.range(1n, 100, 4n)).toEqual([entry(3)]);
    await store.push([1n], entry(19));
    expect(await redis.strlen(`${p}1`)).toBe(16 * 16);
    expect((await store.range(1n, 2))?.map((e) => Number(e.tweetId))).toEqual([19, 18]);
    expect(await store.range(1n, 100)).toHaveLength(16);
  });

  it('keeps the count of timelines in prefix + count', async () => {
    const p = nextPrefix();
    const store = new RedisTimelineStore(redis, { prefix: p });
    await store.replace(1n, []);
    await store.replace(2n, [entry(1)]);
    expect(await redis.get(`${p}count`)).toBe('2');
    await store.drop(2n);
    expect(await store.size()).toBe(1);
  });

  it('keeps working after SCRIPT FLUSH (EVALSHA falls back on NOSCRIPT)', async () => {
    const store = new RedisTimelineStore(redis, { prefix: nextPrefix() });
    await store.replace(1n, []);
    await redis.script('FLUSH');
    await store.push([1n], entry(1));
    await redis.script('FLUSH');
    await store.removeAuthor(1n, 9n);
    await redis.script('FLUSH');
    expect(await store.range(1n, 10)).toEqual([entry(1)]);
  });

  it('quits only a connection it opened itself', async () => {
    const own = new RedisTimelineStore(SERVICES.redis, { prefix: nextPrefix() });
    await own.ping();
    expect(await own.range(1n, 1)).toBeNull();
    await own.close();
    await expect(own.ping()).rejects.toThrow();

    const shared = new RedisTimelineStore(redis, { prefix: nextPrefix() });
    await shared.close();
    await expect(redis.ping()).resolves.toBe('PONG');
  });

  it('fails fast when Redis cannot be reached (a connection it opened)', async () => {
    // Nothing listens on port 1 of this machine.
    const down = new RedisTimelineStore('redis://127.0.0.1:1', { prefix: nextPrefix() });
    const started = Date.now();
    await expect(down.push([1n], entry(1))).rejects.toThrow();
    await expect(down.range(1n, 10)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
    await down.close();
  });
});
