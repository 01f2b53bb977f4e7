import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RateLimitRule } from '../ratelimit.port.js';
import { arbRequests, arbRule, drive, type Request } from '../testing/drive.js';

const RUNS = { numRuns: 400 };

/**
 * The sliding-window counter's error bound (see slidingCounterStep), verified precisely:
 * 1. for every admitted request at t, e ms into its aligned window, with `prev` admitted in the
 *    previous aligned window: W × (admitted in (t - W, t]) <= W × limit + e × prev, and the
 *    admitted count there is at most 2 × limit - 1 (every window of length W is covered, since
 *    the busiest end at an admission);
 * 2. when the previous window's n requests were evenly spaced (W = n × k, the i-th at i × k
 *    into it), at every instant of the current window the estimate prev × (W - e) / W + curr is
 *    at least the true count in (t - W, t] and at most one above it, so no such window holds
 *    more than `limit`;
 * 3. the 2 × limit - 1 is reached.
 */
describe('sliding-counter error bound', () => {
  it('admits at most limit + f × prev (< 2 × limit) in any sliding window', () => {
    fc.assert(
      fc.property(arbRule('sliding-counter'), arbRequests(), (rule, requests) => {
        const w = rule.windowMs;
        const admitted = drive(rule, requests).filter((p) => p.decision.allowed && p.cost > 0);
        for (const at of admitted) {
          const start = at.t - (at.t % w);
          const inside = admitted.filter((p) => p.t > at.t - w && p.t <= at.t).reduce((n, p) => n + p.cost, 0);
          const prev = admitted.filter((p) => p.t >= start - w && p.t < start).reduce((n, p) => n + p.cost, 0);
          expect(inside * w).toBeLessThanOrEqual(rule.limit * w + (at.t - start) * prev);
          expect(inside).toBeLessThanOrEqual(2 * rule.limit - 1);
        }
      }),
      RUNS,
    );
  });

  it('is exact up to one request when the previous window was spread evenly: never above limit', () => {
    const arb = fc.record({
      limit: fc.integer({ min: 1, max: 20 }),
      fill: fc.double({ min: 0, max: 1, noNaN: true }),
      k: fc.integer({ min: 1, max: 60 }),
      epoch: fc.integer({ min: 1_000, max: 100_000 }),
      current: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 1, max: 2 })), { maxLength: 40 }),
    });
    fc.assert(
      fc.property(arb, ({ limit, fill, k, epoch, current }) => {
        const n = Math.max(1, Math.round(fill * limit));
        const w = n * k;
        const rule: RateLimitRule = { algorithm: 'sliding-counter', limit, windowMs: w };
        const start = epoch * w;
        const previous: Request[] = Array.from({ length: n }, (_, i) => ({ t: start - w + i * k, cost: 1 }));
        const now: Request[] = current.map(([f, cost]) => ({ t: start + Math.floor(f * w), cost })).sort((a, b) => a.t - b.t);
        const played = drive(rule, [...previous, ...now]);
        expect(played.slice(0, n).every((p) => p.decision.allowed)).toBe(true);
        const admitted = played.filter((p) => p.decision.allowed);
        // Every instant of the current window, requests or not.
        for (let t = start; t < start + w; t++) {
          const e = t - start;
          const curr = admitted.filter((p) => p.t >= start && p.t <= t).reduce((s, p) => s + p.cost, 0);
          const truth = admitted.filter((p) => p.t > t - w && p.t <= t).reduce((s, p) => s + p.cost, 0);
          const estimateW = n * (w - e) + curr * w; // the estimate, times W
          expect(estimateW).toBeGreaterThanOrEqual(truth * w);
          expect(estimateW).toBeLessThanOrEqual((truth + 1) * w);
          if (admitted.some((p) => p.t === t && p.t >= start)) expect(truth).toBeLessThanOrEqual(limit);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reaches 2 × limit - 1 when the previous window ended in a burst', () => {
    const rule: RateLimitRule = { algorithm: 'sliding-counter', limit: 10, windowMs: 1000 };
    const start = 1_767_225_600_000;
    const played = drive(rule, [{ t: start - 1, cost: 10 }, ...Array.from({ length: 12 }, () => ({ t: start + 998, cost: 1 }))]);
    const admitted = played.filter((p) => p.decision.allowed).reduce((s, p) => s + p.cost, 0);
    // All of them sit in the sliding window (start - 2, start + 998]: 10 + floor(10 × 998 / 1000).
    expect(admitted).toBe(19);
  });
});
