import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVICES, shouldRun } from '../../../../test/helpers/services.js';
import { runServiceRegistryContract } from '../discovery.contract.js';
import { RedisServiceRegistry } from './redis-registry.js';

const PREFIX = `reg-test:${process.pid}:${Date.now().toString(36)}:`;

describe.runIf(await shouldRun('redis'))('RedisServiceRegistry', () => {
  const clients: Redis[] = [];
  const open = async () => {
    const redis = new Redis(SERVICES.redis, { maxRetriesPerRequest: 2 });
    clients.push(redis);
    const registry = new RedisServiceRegistry(redis, { prefix: PREFIX });
    // close() withdraws; the contract's crash must not: stop the renewals by cutting the connection instead.
    return {
      register: registry.register.bind(registry),
      instances: registry.instances.bind(registry),
      close: async () => {
        redis.disconnect();
      },
    };
  };
  afterAll(async () => {
    const admin = new Redis(SERVICES.redis);
    const keys = await admin.keys(`${PREFIX}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
    for (const c of clients) c.disconnect();
  });

  runServiceRegistryContract('RedisServiceRegistry', { open });

  it('keeps one sorted set per service, scored by expiry on the server clock, and withdraws on close', async () => {
    const redis = new Redis(SERVICES.redis);
    clients.push(redis);
    const registry = new RedisServiceRegistry(redis, { prefix: PREFIX });
    await registry.register('svc-a', '127.0.0.1:9001', { ttlMs: 10_000 });
    const [[member, score]] = [(await redis.zrange(`${PREFIX}svc-a`, 0, -1, 'WITHSCORES')) as [string, string]];
    const [seconds] = await redis.time();
    expect(member).toBe('127.0.0.1:9001');
    expect(Number(score) - Number(seconds) * 1000).toBeGreaterThan(8_000);
    expect(await redis.pttl(`${PREFIX}svc-a`)).toBeGreaterThan(0);
    await registry.close();
    expect(await registry.instances('svc-a')).toEqual([]);
  });
  it('does not fail a registration while Redis does not answer yet: the next renewal announces it', async () => {
    const redis = new Redis(SERVICES.redis, { lazyConnect: true, enableOfflineQueue: false });
    clients.push(redis);
    const registry = new RedisServiceRegistry(redis, { prefix: PREFIX });
    const errors: unknown[] = [];
    await registry.register('svc-late', '127.0.0.1:9002', { ttlMs: 600, onError: (err) => errors.push(err) });
    expect(errors.length).toBe(1);
    const readerClient = new Redis(SERVICES.redis);
    clients.push(readerClient);
    const reader = new RedisServiceRegistry(readerClient, { prefix: PREFIX });
    const deadline = Date.now() + 3_000;
    while ((await reader.instances('svc-late')).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await reader.instances('svc-late')).toEqual(['127.0.0.1:9002']);
    await registry.close();
  });
});
