import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { SERVICES, shouldRun } from '../../../../test/helpers/services.js';
import { runLockContract } from '../lock.contract.js';
import { RedisFencedStore } from './redis-fenced-store.js';
import { RedisLock } from './redis-lock.js';
import { redisFixture } from '../../redis/testing/redis-keys.js';

const fixture = redisFixture('lock-test');
const { nextPrefix, run: RUN } = fixture;

describe.runIf(await shouldRun('redis'))('RedisLock', () => {
  let redis: Redis;
  fixture.open((client) => (redis = client));

  // Every client its own connection, as every process has.
  runLockContract('RedisLock', {
    openLock: async (ns) => new RedisLock(SERVICES.redis, { prefix: `${RUN}${ns}:` }),
    openFencedStore: async (ns) => new RedisFencedStore(SERVICES.redis, { prefix: `${RUN}${ns}:` }),
  });

  it('keeps a lock as prefix{name} holding the token with a PX expiry, its fence counter beside it without one', async () => {
    const p = nextPrefix();
    const lock = new RedisLock(redis, { prefix: p });
    const lease = await lock.tryAcquire('jobs:nightly', 30_000);
    expect(await redis.get(`${p}{jobs:nightly}`)).toBe(lease!.token);
    const pttl = await redis.pttl(`${p}{jobs:nightly}`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(30_000);
    expect(await redis.get(`${p}{jobs:nightly}:fence`)).toBe(String(lease!.fence));
    expect(await redis.pttl(`${p}{jobs:nightly}:fence`)).toBe(-1);
    expect(await lock.extend(lease!, 90_000)).toBe(true);
    expect(await redis.pttl(`${p}{jobs:nightly}`)).toBeGreaterThan(30_000);
    expect(await lock.release(lease!)).toBe(true);
    expect(await redis.exists(`${p}{jobs:nightly}`)).toBe(0);
    // The counter outlives the lock: the next acquisition, by anyone, counts on from it.
    await redis.set(`${p}{jobs:nightly}:fence`, '41');
    const other = new RedisLock(SERVICES.redis, { prefix: p });
    expect((await other.tryAcquire('jobs:nightly', 1_000))?.fence).toBe(42);
    await other.close();
  });

  it('keeps a fenced resource as one hash of fence and value', async () => {
    const p = nextPrefix();
    const store = new RedisFencedStore(redis, { prefix: p });
    expect(await store.write('account:7', 3, { balance: 10 })).toBe(true);
    expect(await redis.hgetall(`${p}account:7`)).toEqual({ fence: '3', value: '{"balance":10}' });
    expect(await redis.pttl(`${p}account:7`)).toBe(-1);
  });

  it('quits only a connection it opened itself', async () => {
    const own = new RedisLock(SERVICES.redis, { prefix: nextPrefix() });
    const ownStore = new RedisFencedStore(SERVICES.redis, { prefix: nextPrefix() });
    await own.ping();
    expect(await ownStore.write('r', 1, 'x')).toBe(true);
    await own.close();
    await own.close();
    await ownStore.close();
    await expect(own.ping()).rejects.toThrow();
    await expect(ownStore.read('r')).rejects.toThrow();

    await new RedisLock(redis, { prefix: nextPrefix() }).close();
    await new RedisFencedStore(redis, { prefix: nextPrefix() }).close();
    await expect(redis.ping()).resolves.toBe('PONG');
  });

  it('fails fast, as rejections, when Redis cannot be reached (a connection it opened)', async () => {
    // Nothing listens on port 1 of this machine.
    const down = new RedisLock('redis://127.0.0.1:1', { prefix: nextPrefix() });
    const store = new RedisFencedStore('redis://127.0.0.1:1', { prefix: nextPrefix() });
    const started = Date.now();
    await expect(down.tryAcquire('l', 1_000)).rejects.toThrow();
    await expect(down.release({ name: 'l', token: 't', fence: 1 })).rejects.toThrow();
    await expect(down.extend({ name: 'l', token: 't', fence: 1 }, 1_000)).rejects.toThrow();
    await expect(down.ping()).rejects.toThrow();
    await expect(store.write('r', 1, 'x')).rejects.toThrow();
    await expect(store.read('r')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(15_000);
    await down.close();
    await store.close();
  });
});
