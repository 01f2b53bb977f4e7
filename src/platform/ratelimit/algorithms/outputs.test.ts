import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RateLimitAlgorithm } from '../ratelimit.port.js';
import { arbRequests, arbRule, drive, stepOf } from '../testing/drive.js';
import { ratelimitAlgorithms } from './index.js';
import { NEVER } from './step.js';

const RUNS = { numRuns: 150 };

/**
 * What the numbers of a decision mean, checked against the algorithm itself over random rules
 * and histories: every field is exact, not an estimate.
 */
describe.each(ratelimitAlgorithms.map((a) => [a]))('%s decisions', (algorithm: RateLimitAlgorithm) => {
  it('dropping a state once its TTL has passed changes no decision (the stores may forget idle keys)', () => {
    fc.assert(
      fc.property(arbRule(algorithm), arbRequests(), (rule, requests) => {
        expect(drive(rule, requests, true).map((p) => p.decision)).toEqual(drive(rule, requests, false).map((p) => p.decision));
      }),
      RUNS,
    );
  });

  it('is pure: replaying any request on the state it met gives the same decision again', () => {
    fc.assert(
      fc.property(arbRule(algorithm), arbRequests(), (rule, requests) => {
        for (const p of drive(rule, requests)) expect(stepOf(rule, p.before, p.t, p.cost).decision).toEqual(p.decision);
      }),
      RUNS,
    );
  });

  it('remaining: exactly that many single requests pass right after', () => {
    fc.assert(
      fc.property(arbRule(algorithm), arbRequests(40), (rule, requests) => {
        for (const p of drive(rule, requests)) {
          let state = p.after;
          let passed = 0;
          for (let i = 0; i <= p.decision.remaining; i++) {
            const next = stepOf(rule, state, p.t, 1);
            if (!next.decision.allowed) break;
            passed++;
            state = next.next;
          }
          expect(passed).toBe(p.decision.remaining);
        }
      }),
      RUNS,
    );
  });

  it('retryAfterMs: a refused request passes exactly then (NEVER when its cost exceeds the limit); 0 when allowed', () => {
    fc.assert(
      fc.property(arbRule(algorithm), arbRequests(40), (rule, requests) => {
        for (const p of drive(rule, requests)) {
          const { allowed, retryAfterMs, limit } = p.decision;
          if (allowed) {
            expect(retryAfterMs).toBe(0);
          } else if (retryAfterMs === NEVER) {
            expect(p.cost).toBeGreaterThan(limit);
          } else {
            expect(retryAfterMs).toBeGreaterThan(0);
            expect(stepOf(rule, p.before, p.t + retryAfterMs - 1, p.cost).decision.allowed).toBe(false);
            expect(stepOf(rule, p.before, p.t + retryAfterMs, p.cost).decision.allowed).toBe(true);
          }
        }
      }),
      RUNS,
    );
  });

  it('resetMs: the full quota (`limit` at once) is back exactly then', () => {
    fc.assert(
      fc.property(arbRule(algorithm), arbRequests(40), (rule, requests) => {
        for (const p of drive(rule, requests)) {
          const { resetMs, limit } = p.decision;
          expect(stepOf(rule, p.after, p.t + resetMs, 0).decision).toMatchObject({ remaining: limit, resetMs: 0 });
          if (resetMs > 0) expect(stepOf(rule, p.after, p.t + resetMs - 1, 0).decision.resetMs).toBe(1);
        }
      }),
      RUNS,
    );
  });

  it('cost 0 looks without recording, refusals record nothing, only the leaky bucket delays', () => {
    fc.assert(
      fc.property(arbRule(algorithm), arbRequests(40), (rule, requests) => {
        for (const p of drive(rule, requests)) {
          if (p.cost === 0 || !p.decision.allowed) expect(p.after).toBe(p.before);
          if (p.cost === 0) expect(p.decision.allowed).toBe(true);
          if (algorithm !== 'leaky-bucket' || !p.decision.allowed) expect(p.decision.delayMs).toBe(0);
        }
      }),
      RUNS,
    );
  });
});
