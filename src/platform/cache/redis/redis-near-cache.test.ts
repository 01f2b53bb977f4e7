import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SERVICES, shouldRun } from '../../../../test/helpers/services.js';
import { startTcpProxy } from '../../../../test/helpers/tcp-proxy.js';
import { RedisPubSub } from '../../pubsub/redis/redis-pubsub.js';
import { runCacheContract } from '../cache.contract.js';
import { NearCache, type NearCacheOptions } from '../near/near-cache.js';
import { RedisCacheAdapter } from './redis-cache.adapter.js';
import { deleteKeys } from '../../redis/testing/redis-keys.js';
import { until } from '../../../../test/helpers/poll.js';

// Unique per run: keys and channels of parallel runs never meet; keys are deleted afterwards.
const RUN = `near-test:${process.pid}:${Date.now().toString(36)}:`;
let deployments = 0;
const nextDeployment = () => `${RUN}${++deployments}:`;

/** Waits, boundedly, until `probe` returns true. */

const buses: RedisPubSub[] = [];
const caches: NearCache[] = [];

/**
 * One process of a deployment: its own connections to the remote cache and to the bus (through
 * `busUrl`, a proxy, when given). Processes of one deployment share keys and channels.
 */
async function processOf(deployment: string, options: Partial<NearCacheOptions> = {}, busUrl = SERVICES.redis): Promise<NearCache> {
  const bus = new RedisPubSub(busUrl, { prefix: `${deployment}ps:` });
  buses.push(bus);
  const cache = new NearCache({ remote: new RedisCacheAdapter(SERVICES.redis, { prefix: `${deployment}c:` }), bus, localTtlMs: 60_000, ...options });
  caches.push(cache);
  await cache.ready();
  return cache;
}

describe.runIf(await shouldRun('redis'))('NearCache over Redis', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis(SERVICES.redis, { maxRetriesPerRequest: 2 });
    await redis.ping();
  });
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((c) => c.close()));
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await deleteKeys(redis, `${RUN}*`);
    await redis.quit();
  });

  runCacheContract('NearCache (RedisCacheAdapter, RedisPubSub)', { create: () => processOf(nextDeployment()) });

  it('two processes: a write through one evicts the key from the other; each reads its own write at once', async () => {
    const d = nextDeployment();
    const [a, b] = [await processOf(d), await processOf(d)];
    await a.set('k', 'v1', 60_000);
    await until(() => b.stats().invalidations === 1, 'b heard of v1');
    expect(await a.get('k')).toBe('v1');
    expect(await b.get('k')).toBe('v1');
    // Written behind their backs, Redis changes nothing: both answer from process memory.
    await redis.set(`${d}c:k`, JSON.stringify({ v: 'behind', e: Date.now() + 60_000 }), 'PX', 60_000);
    expect(await a.get('k')).toBe('v1');
    expect(await b.get('k')).toBe('v1');

    await a.set('k', { v: 2 }, 60_000);
    expect(await a.get('k')).toEqual({ v: 2 });
    await until(async () => JSON.stringify(await b.get('k')) === '{"v":2}', 'b sees the write');
    await b.delete('k');
    expect(await b.get('k')).toBeUndefined();
    await until(async () => (await a.get('k')) === undefined, 'a sees the delete');
    expect([a.stats().resets, b.stats().resets]).toEqual([0, 0]);
    expect(await redis.exists(`${d}c:k`)).toBe(0);
  });

  it('serves a value missed by a lost invalidation for at most localTtlMs', async () => {
    const d = nextDeployment();
    const a = await processOf(d);
    // Another channel: b never hears of a's writes, as if every invalidation were lost.
    const b = await processOf(d, { localTtlMs: 300, channel: 'elsewhere' });
    await a.set('k', 'v1', 60_000);
    expect(await b.get('k')).toBe('v1');
    await a.set('k', 'v2', 60_000);
    expect(await b.get('k')).toBe('v1');
    await until(async () => (await b.get('k')) === 'v2', 'b sees v2 once its copy expired');
    expect(b.stats().invalidations).toBe(0);
  });

  it('drops its memory after its pub/sub connection was cut and came back: invalidations were missed meanwhile', async () => {
    const d = nextDeployment();
    const proxy = await startTcpProxy(SERVICES.redis);
    try {
      const a = await processOf(d, { heartbeatMs: 100 });
      const b = await processOf(d, { heartbeatMs: 100 }, proxy.via(SERVICES.redis));
      await a.set('k', 'v1', 60_000);
      await until(() => b.stats().invalidations === 1, 'b heard of v1');
      expect(await b.get('k')).toBe('v1');

      proxy.cut();
      await a.set('k', 'v2', 60_000);
      // b's copy is stale, and nothing told it: its bus is down.
      expect(await b.get('k')).toBe('v1');
      expect(b.stats().invalidations).toBe(1);
      proxy.heal();

      // localTtlMs is a minute: only noticing the gap brings v2 back within the bound.
      await until(async () => (await b.get('k')) === 'v2', 'b sees v2 after reconnecting', { timeoutMs: 20_000 });
      expect(b.stats().resets).toBeGreaterThanOrEqual(1);
      expect(b.stats().invalidations).toBe(1);
      expect(a.stats().resets).toBe(0);
      // And it hears invalidations again.
      await a.set('k', 'v3', 60_000);
      await until(async () => (await b.get('k')) === 'v3', 'b sees v3');
      expect(b.stats().invalidations).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('model: three processes, any writes through any; the writer reads its write at once and all agree soon after', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 2 }),
            key: fc.constantFrom('a', 'b'),
            value: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }),
            readFirst: fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 3 }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        async (ops) => {
          const d = nextDeployment();
          const procs = [await processOf(d), await processOf(d), await processOf(d)];
          const model = new Map<string, number>();
          for (const op of ops) {
            for (const r of op.readFirst) await procs[r]!.get(op.key);
            if (op.value === undefined) {
              await procs[op.at]!.delete(op.key);
              model.delete(op.key);
            } else {
              await procs[op.at]!.set(op.key, op.value, 60_000);
              model.set(op.key, op.value);
            }
            expect(await procs[op.at]!.get(op.key)).toBe(model.get(op.key));
          }
          for (const key of ['a', 'b']) {
            for (const p of procs) await until(async () => (await p.get(key)) === model.get(key), `all agree on ${key}`);
          }
          expect(procs.map((p) => p.stats().resets)).toEqual([0, 0, 0]);
          await Promise.all(caches.splice(0).map((c) => c.close()));
          await Promise.all(buses.splice(0).map((b) => b.close()));
        },
      ),
      { numRuns: 10 },
    );
  });
});
