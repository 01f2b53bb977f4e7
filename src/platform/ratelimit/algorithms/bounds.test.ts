import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RateLimitRule } from '../ratelimit.port.js';
import { arbRequests, arbRule, drive, type Played } from '../testing/drive.js';
import { gcraParams } from './gcra.js';
import { leakyBucketParams } from './leaky-bucket.js';

const RUNS = { numRuns: 400 };
const admittedOf = (played: Played[]) => played.filter((p) => p.decision.allowed && p.cost > 0);

/** Over every pair of admitted requests i <= j: the cost admitted in [t_i, t_j] respects `bound(sum, t_j - t_i)`. */
function everyInterval(admitted: Played[], holds: (sum: number, d: number) => boolean): void {
  for (let i = 0; i < admitted.length; i++) {
    let sum = 0;
    for (let j = i; j < admitted.length; j++) {
      sum += admitted[j]!.cost;
      const d = admitted[j]!.t - admitted[i]!.t;
      if (!holds(sum, d)) expect.fail(`admitted ${sum} in ${d} ms from t=${admitted[i]!.t}`);
    }
  }
}

/**
 * What each algorithm promises, over random rules and request histories (fast-check): no
 * algorithm ever admits more than its definition permits, costs included.
 */
describe('admission bounds', () => {
  it('fixed-window: at most limit per aligned window', () => {
    fc.assert(
      fc.property(arbRule('fixed-window'), arbRequests(), (rule, requests) => {
        const perWindow = new Map<number, number>();
        for (const p of admittedOf(drive(rule, requests))) {
          const w = Math.floor(p.t / rule.windowMs);
          perWindow.set(w, (perWindow.get(w) ?? 0) + p.cost);
        }
        for (const count of perWindow.values()) expect(count).toBeLessThanOrEqual(rule.limit);
      }),
      RUNS,
    );
  });

  it('sliding-log: at most limit in any window (t - W, t]', () => {
    fc.assert(
      fc.property(arbRule('sliding-log'), arbRequests(), (rule, requests) => {
        const admitted = admittedOf(drive(rule, requests));
        // The busiest windows end at an admission: checking those covers them all.
        for (const end of admitted) {
          const inside = admitted.filter((p) => p.t > end.t - rule.windowMs && p.t <= end.t).reduce((n, p) => n + p.cost, 0);
          expect(inside).toBeLessThanOrEqual(rule.limit);
        }
      }),
      RUNS,
    );
  });

  it('token-bucket: at most capacity + limit × d / W in any interval of d ms (capacity = burst ?? limit)', () => {
    fc.assert(
      fc.property(arbRule('token-bucket'), arbRequests(), (rule: RateLimitRule, requests) => {
        const capacity = rule.burst ?? rule.limit;
        everyInterval(admittedOf(drive(rule, requests)), (sum, d) => sum * rule.windowMs <= capacity * rule.windowMs + rule.limit * d);
      }),
      RUNS,
    );
  });

  it('gcra: at most (burst + 1) + d / T in any interval of d ms (T = W / limit, in whole µs)', () => {
    fc.assert(
      fc.property(arbRule('gcra'), arbRequests(), (rule, requests) => {
        const { interval } = gcraParams(rule);
        const capacity = (rule.burst ?? 0) + 1;
        everyInterval(admittedOf(drive(rule, requests)), (sum, d) => sum * interval <= capacity * interval + d * 1000);
      }),
      RUNS,
    );
  });

  it('leaky-bucket: at most (burst + 1) + rate × d in any interval of d ms (rate in nginx units: per 1000 s)', () => {
    fc.assert(
      fc.property(arbRule('leaky-bucket'), arbRequests(), (rule, requests) => {
        const { rate } = leakyBucketParams(rule);
        const capacity = (rule.burst ?? 0) + 1;
        // n requests ≤ capacity + (rate / 10^6 per ms) × d, in integers.
        everyInterval(admittedOf(drive(rule, requests)), (sum, d) => sum * 1_000_000 <= capacity * 1_000_000 + rate * d);
      }),
      RUNS,
    );
  });

  it('leaky-bucket: an allowed request is held (excess - delay) / rate, and never when excess <= delay (nodelay)', () => {
    fc.assert(
      fc.property(arbRule('leaky-bucket'), arbRequests(), (rule, requests) => {
        const { rate, delay, burst } = leakyBucketParams(rule);
        for (const p of drive(rule, requests)) {
          if (!p.decision.allowed || p.cost === 0) {
            expect(p.decision.delayMs).toBe(0);
            continue;
          }
          const { excess } = p.after as { excess: number };
          expect(p.decision.remaining).toBe(Math.floor((burst - excess) / 1000));
          expect(p.decision.delayMs).toBe(excess > delay ? Math.floor(((excess - delay) * 1000) / rate) : 0);
          if (delay >= burst) expect(p.decision.delayMs).toBe(0);
        }
      }),
      RUNS,
    );
  });
});
