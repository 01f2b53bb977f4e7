import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICES, shouldRun } from '../../../../test/helpers/services.js';
import { ManualClock } from '../../clock/index.js';
import { algorithms, ratelimitAlgorithms } from '../algorithms/index.js';
import { MemoryRateLimitStore } from '../memory/memory-ratelimit.store.js';
import type { RateLimitAlgorithm, RateLimitRule } from '../ratelimit.port.js';
import { runRateLimitContract } from '../ratelimit.contract.js';
import { RedisRateLimitStore } from './redis-ratelimit.store.js';
import { deleteKeys, redisFixture } from '../../redis/testing/redis-keys.js';

const fixture = redisFixture('rl-test');
const { nextPrefix } = fixture;

describe.runIf(await shouldRun('redis'))('RedisRateLimitStore', () => {
  let redis: Redis;
  fixture.open((client) => (redis = client));

  let prefix = '';
  runRateLimitContract('RedisRateLimitStore', {
    create: async (clock) => {
      prefix = nextPrefix();
      return new RedisRateLimitStore(redis, { prefix, clock });
    },
    dispose: () => deleteKeys(redis, `${prefix}*`),
  });

  const rule: RateLimitRule = { algorithm: 'fixed-window', limit: 3, windowMs: 60_000 };

  it('keeps deciding after SCRIPT FLUSH (EVALSHA falls back on NOSCRIPT)', async () => {
    const store = new RedisRateLimitStore(redis, { prefix: nextPrefix(), clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    expect(await store.decide(rule, 'k')).toMatchObject({ allowed: true, remaining: 2 });
    await redis.script('FLUSH');
    expect(await store.decide(rule, 'k')).toMatchObject({ allowed: true, remaining: 1 });
    await redis.script('FLUSH');
    const all = await Promise.all((['token-bucket', 'leaky-bucket', 'sliding-log', 'sliding-counter', 'gcra'] as const).map((algorithm) => store.decide({ algorithm, limit: 3, windowMs: 60_000 }, 'k')));
    expect(all.every((d) => d.allowed)).toBe(true);
  });

  it('keys are prefix + algorithm tag + key, with a PEXPIRE of resetMs (+ slack) set on every write', async () => {
    const p = nextPrefix();
    const store = new RedisRateLimitStore(redis, { prefix: p });
    const tb = await store.decide({ algorithm: 'token-bucket', limit: 10, windowMs: 10_000 }, 'user:1', 4);
    expect(tb.resetMs).toBe(4000);
    const ttl = await redis.pttl(`${p}tb:user:1`);
    expect(ttl).toBeGreaterThan(3000);
    expect(ttl).toBeLessThanOrEqual(4000);
    await store.decide({ algorithm: 'sliding-log', limit: 10, windowMs: 10_000 }, 'user:1', 2);
    expect(await redis.type(`${p}sl:user:1`)).toBe('zset');
    expect(await redis.zcard(`${p}sl:user:1`)).toBe(2);
    await store.decide({ algorithm: 'gcra', limit: 10, windowMs: 10_000 }, 'user:1');
    expect(await redis.type(`${p}gc:user:1`)).toBe('string');
    expect(await redis.pttl(`${p}gc:user:1`)).toBeGreaterThan(0);

    const slack = new RedisRateLimitStore(redis, { prefix: p, clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    await slack.decide({ algorithm: 'gcra', limit: 10, windowMs: 10_000 }, 'slack');
    expect(await redis.pttl(`${p}gc:slack`)).toBeGreaterThan(60_000);
  });

  it('idle keys vanish once their state no longer matters (Redis time)', async () => {
    const p = nextPrefix();
    const store = new RedisRateLimitStore(redis, { prefix: p });
    for (const algorithm of ratelimitAlgorithms) {
      await store.decide({ algorithm, limit: 1, windowMs: 300 }, 'idle');
      // Written with an expiry of at most two windows (sliding-counter's); checked at once, well within it.
      const ttl = await redis.pttl(`${p}${algorithms[algorithm].tag}:idle`);
      expect(ttl, algorithm).toBeGreaterThan(0);
      expect(ttl, algorithm).toBeLessThanOrEqual(600);
    }
    const deadline = Date.now() + 5_000;
    while ((await redis.keys(`${p}*`)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await redis.keys(`${p}*`)).toEqual([]);
  });

  it('reads Redis time by default: every process agrees whatever its own clock', async () => {
    const p = nextPrefix();
    const a = new RedisRateLimitStore(redis, { prefix: p });
    const b = new RedisRateLimitStore(redis, { prefix: p });
    const window: RateLimitRule = { algorithm: 'sliding-log', limit: 2, windowMs: 3_600_000 };
    expect(await a.decide(window, 'k')).toMatchObject({ allowed: true, remaining: 1 });
    expect(await b.decide(window, 'k')).toMatchObject({ allowed: true, remaining: 0 });
    const refused = await a.decide(window, 'k');
    expect(refused.allowed).toBe(false);
    // Reset and retry are measured on Redis's clock: within the hour, and not earlier than this test began.
    expect(refused.retryAfterMs).toBeGreaterThan(3_590_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(3_600_000);
  });

  it('quits only a connection it opened itself', async () => {
    const own = new RedisRateLimitStore(SERVICES.redis, { prefix: nextPrefix() });
    await own.ping();
    expect((await own.decide(rule, 'k')).allowed).toBe(true);
    await own.close();
    await expect(own.ping()).rejects.toThrow();

    const shared = new RedisRateLimitStore(redis, { prefix: nextPrefix() });
    await shared.close();
    await expect(redis.ping()).resolves.toBe('PONG');
  });

  it('fails fast when Redis cannot be reached (a connection it opened)', async () => {
    // Nothing listens on port 1 of this machine.
    const down = new RedisRateLimitStore('redis://127.0.0.1:1', { prefix: nextPrefix() });
    const started = Date.now();
    await expect(down.decide(rule, 'k')).rejects.toThrow();
    await expect(down.ping()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
    await down.close();
  });

  describe('under contention: 8 connections, 400 concurrent decisions on one key with room for 50', () => {
    let connections: Redis[] = [];
    beforeAll(async () => {
      connections = Array.from({ length: 8 }, () => new Redis(SERVICES.redis, { maxRetriesPerRequest: 2 }));
      await Promise.all(connections.map((c) => c.ping()));
    });
    afterAll(async () => {
      await Promise.all(connections.map((c) => c.quit()));
    });

    // An hour per 50 (or per window): nothing refills while the test runs. The windowed
    // algorithms get a ManualClock in mid-window, as Redis time could cross a window boundary.
    const HOUR = 3_600_000;
    const cases: { rule: RateLimitRule; manual: boolean }[] = [
      { rule: { algorithm: 'token-bucket', limit: 50, windowMs: HOUR }, manual: false },
      { rule: { algorithm: 'leaky-bucket', limit: 50, windowMs: HOUR, burst: 49, delay: 49 }, manual: false },
      { rule: { algorithm: 'gcra', limit: 50, windowMs: HOUR, burst: 49 }, manual: false },
      { rule: { algorithm: 'sliding-log', limit: 50, windowMs: HOUR }, manual: false },
      { rule: { algorithm: 'fixed-window', limit: 50, windowMs: HOUR }, manual: true },
      { rule: { algorithm: 'sliding-counter', limit: 50, windowMs: HOUR }, manual: true },
    ];
    for (const { rule: r, manual } of cases) {
      it(`${r.algorithm}: exactly 50 allowed, their remaining 49..0 each once, 3 rounds`, async () => {
        const clock = manual ? new ManualClock(Date.UTC(2026, 0, 1, 12, 30)) : undefined;
        for (let round = 0; round < 3; round++) {
          const p = nextPrefix();
          const stores = connections.map((c) => new RedisRateLimitStore(c, { prefix: p, ...(clock ? { clock } : {}) }));
          const decisions = await Promise.all(Array.from({ length: 400 }, (_, i) => stores[i % stores.length]!.decide(r, 'hot')));
          const allowed = decisions.filter((d) => d.allowed);
          expect(allowed.length).toBe(50);
          expect(allowed.map((d) => d.remaining).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
          expect(decisions.filter((d) => !d.allowed).every((d) => d.remaining === 0 && d.retryAfterMs > 0)).toBe(true);
        }
      });
    }
  });

  it('decides exactly as the memory store over random rules and request sequences', async () => {
    const algorithms: RateLimitAlgorithm[] = ['token-bucket', 'leaky-bucket', 'fixed-window', 'sliding-log', 'sliding-counter', 'gcra'];
    const arbRule = fc.record({
      algorithm: fc.constantFrom(...algorithms),
      limit: fc.integer({ min: 1, max: 12 }),
      windowMs: fc.constantFrom(333, 1000, 2000, 60_000),
      burst: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
      delay: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
    });
    const arbOps = fc.array(fc.record({ advance: fc.integer({ min: 0, max: 1500 }), cost: fc.integer({ min: 0, max: 5 }), key: fc.constantFrom('a', 'b') }), { minLength: 1, maxLength: 30 });
    await fc.assert(
      fc.asyncProperty(arbRule, arbOps, async (r, ops) => {
        const clock = new ManualClock(Date.UTC(2026, 0, 1) + 123);
        const memory = new MemoryRateLimitStore({ clock });
        const shared = new RedisRateLimitStore(redis, { prefix: nextPrefix(), clock });
        for (const op of ops) {
          clock.advance(op.advance);
          expect(await shared.decide(r, op.key, op.cost)).toEqual(memory.decideSync(r, op.key, op.cost));
        }
      }),
      { numRuns: 150 },
    );
  });
});
