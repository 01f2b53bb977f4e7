import { describe, expect, it } from 'vitest';
import { NEVER } from '../algorithms/step.js';
import type { RateLimitAlgorithm, RateLimitRule } from '../ratelimit.port.js';
import { d, play, type ContractContext } from './context.js';

/** One rule per algorithm with a capacity of 3 requests at once, for the tests every algorithm shares. */
const THREE: { readonly [A in RateLimitAlgorithm]: RateLimitRule } = {
  'token-bucket': { algorithm: 'token-bucket', limit: 3, windowMs: 60_000 },
  'leaky-bucket': { algorithm: 'leaky-bucket', limit: 3, windowMs: 60_000, burst: 2, delay: 2 },
  'fixed-window': { algorithm: 'fixed-window', limit: 3, windowMs: 60_000 },
  'sliding-log': { algorithm: 'sliding-log', limit: 3, windowMs: 60_000 },
  'sliding-counter': { algorithm: 'sliding-counter', limit: 3, windowMs: 60_000 },
  gcra: { algorithm: 'gcra', limit: 3, windowMs: 60_000, burst: 2 },
};

/** Exact decisions of each algorithm (limit, remaining, resetMs, retryAfterMs, delayMs, cost > 1, cost 0), then what all share. */
export function algorithmCases(ctx: () => ContractContext): void {
  describe('token-bucket', () => {
    it('takes cost tokens from a bucket of `burst` refilled at limit/window; refused requests take none', async () => {
      // 5 tokens, one more every 100 ms.
      const rule: RateLimitRule = { algorithm: 'token-bucket', limit: 10, windowMs: 1000, burst: 5 };
      await play(ctx(), rule, 'k', [
        { at: 0, cost: 0, expected: d(true, 5, 5, 0) },
        { at: 0, expected: d(true, 5, 4, 100) },
        { at: 0, cost: 3, expected: d(true, 5, 1, 400) },
        { at: 0, cost: 2, expected: d(false, 5, 1, 400, 100) },
        { at: 0, expected: d(true, 5, 0, 500) },
        { at: 0, expected: d(false, 5, 0, 500, 100) },
        { at: 0, cost: 6, expected: d(false, 5, 0, 500, NEVER) },
        { at: 250, cost: 0, expected: d(true, 5, 2, 250) },
        { at: 250, cost: 3, expected: d(false, 5, 2, 250, 50) },
        { at: 300, cost: 3, expected: d(true, 5, 0, 500) },
        { at: 800, cost: 0, expected: d(true, 5, 5, 0) },
      ]);
    });

    it('defaults the bucket to `limit` tokens', async () => {
      await play(ctx(), { algorithm: 'token-bucket', limit: 2, windowMs: 1000 }, 'k', [
        { at: 0, expected: d(true, 2, 1, 500) },
        { at: 0, expected: d(true, 2, 0, 1000) },
        { at: 0, expected: d(false, 2, 0, 1000, 500) },
      ]);
    });
  });

  describe('leaky-bucket', () => {
    it('adds cost to the excess, delays above `delay`, refuses above `burst` without recording', async () => {
      // 10 r/s (100 ms a request), burst 4, delay 2.
      const rule: RateLimitRule = { algorithm: 'leaky-bucket', limit: 10, windowMs: 1000, burst: 4, delay: 2 };
      await play(ctx(), rule, 'k', [
        { at: 0, cost: 0, expected: d(true, 5, 5, 0) },
        { at: 0, cost: 3, expected: d(true, 5, 2, 300, 0, 0), note: 'excess 2.000 = delay: not delayed' },
        { at: 0, cost: 3, expected: d(false, 5, 2, 300, 100) },
        { at: 0, cost: 2, expected: d(true, 5, 0, 500, 0, 200), note: 'excess 4.000: 2 over delay at 10 r/s' },
        { at: 0, cost: 6, expected: d(false, 5, 0, 500, NEVER) },
        { at: 150, cost: 0, expected: d(true, 5, 1, 350) },
        { at: 150, expected: d(true, 5, 0, 450, 0, 150), note: 'excess 2.500 + 1.000' },
      ]);
    });
  });

  describe('fixed-window', () => {
    it('counts per epoch-aligned window; refusals wait for the next window', async () => {
      const rule: RateLimitRule = { algorithm: 'fixed-window', limit: 3, windowMs: 1000 };
      await play(ctx(), rule, 'k', [
        { at: 200, cost: 0, expected: d(true, 3, 3, 0) },
        { at: 200, cost: 2, expected: d(true, 3, 1, 800) },
        { at: 300, cost: 2, expected: d(false, 3, 1, 700, 700) },
        { at: 999, expected: d(true, 3, 0, 1) },
        { at: 999, cost: 4, expected: d(false, 3, 0, 1, NEVER) },
        { at: 1000, expected: d(true, 3, 2, 1000) },
        { at: 1500, cost: 2, expected: d(true, 3, 0, 500) },
      ]);
    });
  });

  describe('sliding-log', () => {
    it('counts the requests of the last window; a refusal waits for the oldest ones to leave it', async () => {
      const rule: RateLimitRule = { algorithm: 'sliding-log', limit: 3, windowMs: 1000 };
      await play(ctx(), rule, 'k', [
        { at: 0, cost: 0, expected: d(true, 3, 3, 0) },
        { at: 0, expected: d(true, 3, 2, 1000) },
        { at: 300, cost: 2, expected: d(true, 3, 0, 1000) },
        { at: 500, expected: d(false, 3, 0, 800, 500) },
        { at: 999, expected: d(false, 3, 0, 301, 1) },
        { at: 1000, expected: d(true, 3, 0, 1000), note: 'the request at 0 left the window (t - 1000, t]' },
        { at: 1000, cost: 2, expected: d(false, 3, 0, 1000, 300) },
        { at: 1000, cost: 4, expected: d(false, 3, 0, 1000, NEVER) },
        { at: 1300, cost: 2, expected: d(true, 3, 0, 1000) },
        { at: 2300, cost: 0, expected: d(true, 3, 3, 0) },
      ]);
    });
  });

  describe('sliding-counter', () => {
    it('weighs the previous window by the part of it still inside the sliding window', async () => {
      const rule: RateLimitRule = { algorithm: 'sliding-counter', limit: 10, windowMs: 1000 };
      await play(ctx(), rule, 'k', [
        { at: 900, cost: 10, expected: d(true, 10, 0, 1100) },
        { at: 1250, cost: 0, expected: d(true, 10, 2, 750), note: '10 × 0.75 counted' },
        { at: 1250, cost: 3, expected: d(false, 10, 2, 750, 50), note: 'fits when 10 × (1 - f) <= 7' },
        { at: 1300, cost: 3, expected: d(true, 10, 0, 1700) },
        { at: 1300, expected: d(false, 10, 0, 1700, 100) },
        { at: 1300, cost: 8, expected: d(false, 10, 0, 1700, 1034), note: 'only in the next window: 3 × (1 - f) <= 2' },
        { at: 1300, cost: 11, expected: d(false, 10, 0, 1700, NEVER) },
        { at: 2333, cost: 8, expected: d(false, 10, 7, 667, 1), note: '3 × 0.667 + 8 > 10 by a hair' },
        { at: 2334, cost: 8, expected: d(true, 10, 0, 1666) },
      ]);
    });
  });

  describe('every algorithm', () => {
    for (const [name, rule] of Object.entries(THREE)) {
      it(`${name}: keys are independent, refusals and peeks record nothing, the quota returns after resetMs`, async () => {
        const { store, clock } = ctx();
        for (let i = 0; i < 3; i++) expect((await store.decide(rule, 'a')).allowed).toBe(true);
        const refused = await store.decide(rule, 'a');
        expect(refused).toMatchObject({ allowed: false, remaining: 0, delayMs: 0 });
        expect(refused.retryAfterMs).toBeGreaterThan(0);
        expect(await store.decide(rule, 'b', 0)).toMatchObject({ allowed: true, limit: 3, remaining: 3, resetMs: 0 });
        expect(await store.decide(rule, 'b', 3)).toMatchObject({ allowed: true, remaining: 0 });

        // Refusals and peeks, many of them: none may count.
        for (let i = 0; i < 20; i++) await store.decide(rule, 'a', i % 2);
        clock.advance(refused.retryAfterMs - 1);
        expect((await store.decide(rule, 'a')).allowed).toBe(false);
        clock.advance(1);
        const again = await store.decide(rule, 'a');
        expect(again.allowed).toBe(true);

        clock.advance(again.resetMs);
        expect(await store.decide(rule, 'a', 0)).toMatchObject({ allowed: true, limit: 3, remaining: 3, resetMs: 0 });
        expect(await store.decide(rule, 'a', 3)).toMatchObject({ allowed: true, remaining: 0 });
      });
    }

    it('keeps the state of each algorithm apart under the same key', async () => {
      const { store } = ctx();
      expect(await store.decide(THREE['fixed-window'], 'shared', 3)).toMatchObject({ allowed: true, remaining: 0 });
      for (const rule of Object.values(THREE)) {
        if (rule.algorithm === 'fixed-window') continue;
        expect(await store.decide(rule, 'shared', 0)).toMatchObject({ allowed: true, remaining: 3 });
      }
    });

    it('rejects rules and costs that make no sense with a RangeError', async () => {
      const { store } = ctx();
      const bad: RateLimitRule[] = [
        { algorithm: 'fixed-window', limit: 0, windowMs: 1000 },
        { algorithm: 'fixed-window', limit: 1.5, windowMs: 1000 },
        { algorithm: 'sliding-log', limit: 1, windowMs: 0 },
        { algorithm: 'token-bucket', limit: 1, windowMs: 1000, burst: 0 },
        { algorithm: 'leaky-bucket', limit: 1, windowMs: 10_000_000 },
        { algorithm: 'gcra', limit: 1, windowMs: 1000, burst: -1 },
        { algorithm: 'nope' as RateLimitAlgorithm, limit: 1, windowMs: 1000 },
      ];
      for (const rule of bad) await expect(store.decide(rule, 'k'), JSON.stringify(rule)).rejects.toThrow(RangeError);
      for (const cost of [-1, 0.5, Number.NaN, 2 ** 40]) {
        await expect(store.decide(THREE.gcra, 'k', cost), `cost ${cost}`).rejects.toThrow(RangeError);
      }
    });
  });
}
