import fc from 'fast-check';
import { algorithms } from '../algorithms/index.js';
import type { Algorithm } from '../algorithms/step.js';
import type { RateLimitAlgorithm, RateLimitDecision, RateLimitRule } from '../ratelimit.port.js';

/** One request of a generated history. */
export interface Request {
  t: number;
  cost: number;
}

/** A request played: its decision, the state it met and the state it left. */
export interface Played extends Request {
  decision: RateLimitDecision;
  before: unknown;
  after: unknown;
}

/**
 * Plays requests through a pure algorithm as the memory store does: the state is dropped once its
 * TTL has passed (`forget`, default) or kept forever (to show that dropping it changes nothing).
 */
export function drive(rule: RateLimitRule, requests: readonly Request[], forget = true): Played[] {
  const algorithm: Algorithm<unknown, unknown> = algorithms[rule.algorithm];
  const params = algorithm.params(rule);
  let state: unknown;
  let exp = 0;
  const out: Played[] = [];
  for (const r of requests) {
    const before = state !== undefined && (!forget || exp > r.t) ? state : undefined;
    const step = algorithm.step(params, before, r.t, r.cost);
    if (step.next !== undefined) {
      state = step.next;
      exp = r.t + step.ttlMs;
    } else {
      state = before;
    }
    out.push({ ...r, decision: step.decision, before, after: state });
  }
  return out;
}

/** One step of `rule` from `state`, outside any history. */
export function stepOf(rule: RateLimitRule, state: unknown, t: number, cost: number): { decision: RateLimitDecision; next: unknown } {
  const algorithm: Algorithm<unknown, unknown> = algorithms[rule.algorithm];
  return algorithm.step(algorithm.params(rule), state, t, cost);
}

/** Small random rules of one algorithm: limits and windows small enough that histories hit them. */
export function arbRule(algorithm: RateLimitAlgorithm): fc.Arbitrary<RateLimitRule> {
  return fc.record({
    algorithm: fc.constant(algorithm),
    limit: fc.integer({ min: 1, max: 8 }),
    windowMs: fc.oneof(fc.integer({ min: 1, max: 2000 }), fc.constantFrom(1000, 60_000)),
    burst: fc.option(fc.integer({ min: algorithm === 'token-bucket' ? 1 : 0, max: 6 }), { nil: undefined }),
    delay: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
  });
}

/**
 * Random histories: a start anywhere (so windows are not always aligned with it), then gaps that
 * are often 0 (bursts), often short, sometimes longer than any window; costs mostly 1.
 */
export function arbRequests(maxLength = 80): fc.Arbitrary<Request[]> {
  const gap = fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.integer({ min: 1, max: 60 }), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: 3000 }), weight: 2 });
  const cost = fc.oneof({ arbitrary: fc.constant(1), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: 4 }), weight: 1 });
  return fc.tuple(fc.integer({ min: 0, max: 10_000_000 }), fc.array(fc.tuple(gap, cost), { minLength: 1, maxLength, size: 'max' })).map(([offset, items]) => {
    let t = Date.UTC(2026, 0, 1) + offset;
    return items.map(([g, c]) => ({ t: (t += g), cost: c }));
  });
}
