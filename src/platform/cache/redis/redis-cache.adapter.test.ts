import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { SERVICES, shouldRun } from '../../../../test/helpers/services.js';
import { runCacheContract } from '../cache.contract.js';
import { RedisCacheAdapter } from './redis-cache.adapter.js';
import { redisFixture } from '../../redis/testing/redis-keys.js';

const fixture = redisFixture('cache-test');
const { nextPrefix } = fixture;

describe.runIf(await shouldRun('redis'))('RedisCacheAdapter', () => {
  let redis: Redis;
  fixture.open((client) => (redis = client));

  runCacheContract('RedisCacheAdapter (own connection)', { create: async () => new RedisCacheAdapter(SERVICES.redis, { prefix: nextPrefix() }) });
  runCacheContract('RedisCacheAdapter (shared client)', { create: async () => new RedisCacheAdapter(redis, { prefix: nextPrefix() }) });

  it('stores JSON text under prefix + key with a PX expiry, readable by any client', async () => {
    const p = nextPrefix();
    const cache = new RedisCacheAdapter(redis, { prefix: p });
    await cache.set('k', { url: 'https://example.com', at: new Date(0) }, 60_000);
    expect(await redis.get(`${p}k`)).toBe('{"url":"https://example.com","at":"1970-01-01T00:00:00.000Z"}');
    const pttl = await redis.pttl(`${p}k`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000);
    // A fraction of a millisecond rounds up: PX takes integers, and an entry never lives shorter than asked.
    await cache.set('f', 1, 0.5);
    expect(await redis.pttl(`${p}f`)).toBeLessThanOrEqual(1);
    // Two caches with different prefixes never see each other's entries.
    expect(await new RedisCacheAdapter(redis, { prefix: nextPrefix() }).get('k')).toBeUndefined();
  });

  it('rejects what it cannot store or read: undefined, cycles, bigints, bad TTLs, foreign text', async () => {
    const p = nextPrefix();
    const cache = new RedisCacheAdapter(redis, { prefix: p });
    await expect(cache.set('k', undefined, 1_000)).rejects.toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(cache.set('k', cyclic, 1_000)).rejects.toThrow();
    await expect(cache.set('k', 1n, 1_000)).rejects.toThrow();
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) await expect(cache.set('k', 1, ttl)).rejects.toThrow(RangeError);
    expect(await redis.exists(`${p}k`)).toBe(0);
    await redis.set(`${p}foreign`, 'not json');
    await expect(cache.get('foreign')).rejects.toThrow(SyntaxError);
  });

  it('quits only a connection it opened itself', async () => {
    const own = new RedisCacheAdapter(SERVICES.redis, { prefix: nextPrefix() });
    await own.set('k', 1, 60_000);
    await own.close();
    await own.close();
    await expect(own.ping()).rejects.toThrow();
    await expect(own.get('k')).rejects.toThrow();

    const shared = new RedisCacheAdapter(redis, { prefix: nextPrefix() });
    await shared.close();
    await expect(redis.ping()).resolves.toBe('PONG');
  });

  it('fails fast, as rejections, when Redis cannot be reached (a connection it opened)', async () => {
    // Nothing listens on port 1 of this machine.
    const down = new RedisCacheAdapter('redis://127.0.0.1:1', { prefix: nextPrefix() });
    const started = Date.now();
    await expect(down.get('k')).rejects.toThrow();
    await expect(down.set('k', 1, 1_000)).rejects.toThrow();
    await expect(down.delete('k')).rejects.toThrow();
    await expect(down.ping()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(10_000);
    await down.close();
  });
});
