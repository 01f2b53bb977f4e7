import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { SERVICES, shouldRun } from '../../../../test/helpers/services.js';
import { deleteKeys } from '../../redis/testing/redis-keys.js';
import { seededRandom } from '../../../lib/seeded-random.js';
import { ManualClock } from '../../clock/index.js';
import { MemoryRateLimitStore } from '../memory/memory-ratelimit.store.js';
import type { RateLimitRule, RateLimitStore } from '../ratelimit.port.js';
import { RedisRateLimitStore } from '../redis/index.js';
import { LeasedRateLimitStore } from './leased-ratelimit.store.js';

/** The shared store, counting the decisions that reach it (a real store underneath). */
class Counted implements RateLimitStore {
  calls = 0;
  constructor(readonly inner: RateLimitStore) {}
  decide(rule: RateLimitRule, key: string, cost?: number) {
    this.calls++;
    return this.inner.decide(rule, key, cost);
  }
  ping() {
    return this.inner.ping();
  }
  close() {
    return this.inner.close();
  }
}

const window: RateLimitRule = { algorithm: 'fixed-window', limit: 100, windowMs: 60_000 };

/** Sends `requests` for one key, each to one of the processes at random; counts the admitted. */
async function spread(processes: LeasedRateLimitStore[], rule: RateLimitRule, requests: number, seed: number): Promise<number> {
  const random = seededRandom(seed);
  let admitted = 0;
  for (let i = 0; i < requests; i++) {
    const store = processes[Math.floor(random() * processes.length)]!;
    const decision = store.tryDecideSync(rule, 'k') ?? (await store.decide(rule, 'k'));
    if (decision.allowed) admitted++;
  }
  return admitted;
}

describe('LeasedRateLimitStore', () => {
  it('never admits more than the rule across processes, and fewer than N × 1.5 × lease fewer', async () => {
    for (const seed of [1, 2, 3]) {
      const clock = new ManualClock(Date.UTC(2026, 0, 1));
      const shared = new MemoryRateLimitStore({ clock });
      const processes = [0, 1, 2].map(() => new LeasedRateLimitStore(shared, { leaseSize: 10, leaseTtlMs: 1_000, clock }));
      const admitted = await spread(processes, window, 500, seed);
      expect(admitted).toBeLessThanOrEqual(100);
      expect(admitted).toBeGreaterThan(100 - 3 * 15);
      // The next window admits again, and still no more than its quota.
      clock.advance(60_000);
      const next = await spread(processes, window, 500, seed + 10);
      expect(next).toBeLessThanOrEqual(100);
      expect(next).toBeGreaterThan(100 - 3 * 15);
    }
  });

  it('answers from a lease without asking the shared store, asks for the next one when half is spent, and drops an expired one', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const memory = new MemoryRateLimitStore({ clock });
    const shared = new Counted(memory);
    const store = new LeasedRateLimitStore(shared, { leaseSize: 10, leaseTtlMs: 250, clock });
    const left = async () => (await memory.decide(window, 'a', 0)).remaining;
    expect(store.tryDecideSync(window, 'a')).toBeUndefined();
    const first = await store.decide(window, 'a');
    expect([first.allowed, first.remaining, shared.calls]).toEqual([true, 99, 1]);
    for (let i = 0; i < 3; i++) expect(store.tryDecideSync(window, 'a')?.allowed).toBe(true);
    expect([shared.calls, await left()]).toEqual([1, 90]);
    // The fifth request leaves half the lease: the next is asked for in the background.
    expect(store.tryDecideSync(window, 'a')?.allowed).toBe(true);
    expect(shared.calls).toBe(2);
    await new Promise((r) => setImmediate(r));
    expect(await left()).toBe(80);
    for (let i = 0; i < 10; i++) expect(store.tryDecideSync(window, 'a')?.allowed).toBe(true);
    await new Promise((r) => setImmediate(r));
    clock.advance(251);
    // Expired: its units stay taken in the shared store, unused (the undershoot bound).
    expect(store.tryDecideSync(window, 'a')).toBeUndefined();
    const calls = shared.calls;
    expect((await store.decide(window, 'a')).allowed).toBe(true);
    expect(shared.calls).toBe(calls + 1);
  });

  it('takes one lease for requests that find it spent at the same moment, not one each', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const shared = new Counted(new MemoryRateLimitStore({ clock }));
    const store = new LeasedRateLimitStore(shared, { leaseSize: 10, leaseTtlMs: 1_000, clock });
    const decisions = await Promise.all(Array.from({ length: 50 }, () => store.decide(window, 'burst')));
    expect(decisions.every((d) => d.allowed)).toBe(true);
    // About five leases of ten, not fifty; at most one and a half leases' worth left unspent.
    expect(shared.calls).toBeLessThanOrEqual(10);
    expect((await shared.inner.decide(window, 'burst', 0)).remaining).toBeGreaterThanOrEqual(100 - 50 - 15);
  });

  it('decides exactly, one by one, near the limit, for small rules and for leaky buckets that delay', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const shared = new Counted(new MemoryRateLimitStore({ clock }));
    const store = new LeasedRateLimitStore(shared, { leaseSize: 10, leaseTtlMs: 1_000, clock });
    const small: RateLimitRule = { algorithm: 'fixed-window', limit: 12, windowMs: 60_000 };
    const answers = [];
    for (let i = 0; i < 14; i++) answers.push((await store.decide(small, 's')).allowed);
    expect(answers).toEqual([...Array(12).fill(true), false, false]);
    expect(shared.calls).toBe(14);
    const delaying: RateLimitRule = { algorithm: 'leaky-bucket', limit: 10, windowMs: 1_000, burst: 40, delay: 0 };
    const delays = [];
    for (let i = 0; i < 3; i++) {
      expect(store.tryDecideSync(delaying, 'd')).toBeUndefined();
      delays.push((await store.decide(delaying, 'd')).delayMs);
    }
    expect(delays).toEqual([0, 100, 200]);
  });

  it('doubles the lease of a key that spends it fast, up to leaseSize, and keeps a quiet key at 16', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const memory = new MemoryRateLimitStore({ clock });
    const shared = new Counted(memory);
    const store = new LeasedRateLimitStore(shared, { leaseSize: 1_000, leaseTtlMs: 250, clock });
    const big: RateLimitRule = { algorithm: 'fixed-window', limit: 1_000_000, windowMs: 60_000 };
    const taken = async (key: string) => 1_000_000 - (await memory.decide(big, key, 0)).remaining;
    // A busy key: 20,000 requests within one millisecond.
    for (let i = 0; i < 20_000; i++) {
      if (store.tryDecideSync(big, 'busy') === undefined) expect((await store.decide(big, 'busy')).allowed).toBe(true);
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setImmediate(r));
    // 16, 32, ... 512, then 1,000s: a few dozen shared decisions, not 20,000 / 8.
    expect(shared.calls).toBeLessThan(60);
    // Never more taken than admitted plus one and a half of the largest lease.
    expect(await taken('busy')).toBeGreaterThanOrEqual(20_000);
    expect(await taken('busy')).toBeLessThan(20_000 + 1_500);
    // A quiet key spends half a lease per quarter of the lease time: its leases stay at 16.
    const calls = shared.calls;
    for (let i = 0; i < 160; i++) {
      if (store.tryDecideSync(big, 'quiet') === undefined) expect((await store.decide(big, 'quiet')).allowed).toBe(true);
      await new Promise((r) => setImmediate(r));
      clock.advance(10);
    }
    expect(shared.calls - calls).toBeGreaterThanOrEqual(160 / 16 - 1);
    expect(await taken('quiet')).toBeLessThan(160 + 24);
  });

  it('remembers a look (cost 0) for the lease time, then asks again', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const memory = new MemoryRateLimitStore({ clock });
    const shared = new Counted(memory);
    const store = new LeasedRateLimitStore(shared, { leaseSize: 10, leaseTtlMs: 250, clock });
    const probe: RateLimitRule = { algorithm: 'fixed-window', limit: 3, windowMs: 60_000 };
    expect((await store.decide(probe, 'p', 0)).remaining).toBe(3);
    for (let i = 0; i < 3; i++) await memory.decide(probe, 'p', 1); // another process spends them
    expect(store.tryDecideSync(probe, 'p', 0)?.remaining).toBe(3);
    clock.advance(251);
    expect(store.tryDecideSync(probe, 'p', 0)).toBeUndefined();
    expect((await store.decide(probe, 'p', 0)).remaining).toBe(0);
    expect(shared.calls).toBe(2);
  });
});

describe.runIf(await shouldRun('redis'))('LeasedRateLimitStore over Redis', () => {
  it('admits no more than the rule across three processes sharing one Redis', async () => {
    const prefix = `test-leased-${Date.now()}-${process.pid}:`;
    const redis = new Redis(SERVICES.redis);
    const clock = new ManualClock(Date.now());
    const shared = [0, 1, 2].map(() => new RedisRateLimitStore(redis, { prefix, clock }));
    const processes = shared.map((s) => new LeasedRateLimitStore(s, { leaseSize: 16, leaseTtlMs: 1_000, clock }));
    try {
      const rule: RateLimitRule = { algorithm: 'gcra', limit: 200, windowMs: 1_000, burst: 199 };
      const admitted = await spread(processes, rule, 600, 7);
      expect(admitted).toBeLessThanOrEqual(200);
      expect(admitted).toBeGreaterThan(200 - 3 * 24);
    } finally {
      await deleteKeys(redis, `${prefix}*`);
      await redis.quit();
    }
  });
});
