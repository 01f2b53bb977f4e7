import type { RateLimitRule } from '../ratelimit.port.js';
import { checkInt, checkProduct, decision, NEVER, type Algorithm, type Step } from './step.js';

/** Sliding-counter parameters. */
export interface SlidingCounterParams {
  readonly limit: number;
  readonly windowMs: number;
  /** `limit × windowMs`: the quota in the 1/windowMs units the weighted count is kept in. */
  readonly cap: number;
}

/** The counts of the window starting at `start` (epoch-aligned) and of the one before it. */
export interface SlidingCounterState {
  readonly start: number;
  readonly curr: number;
  readonly prev: number;
}

/** Checks a sliding-counter rule: about `limit` per sliding `windowMs` (see the error bound on the step). */
export function slidingCounterParams(rule: RateLimitRule): SlidingCounterParams {
  const limit = checkInt('limit', rule.limit, 1);
  const windowMs = checkInt('windowMs', rule.windowMs, 1);
  checkProduct('limit × windowMs', limit * windowMs);
  return { limit, windowMs, cap: limit * windowMs };
}

/**
 * The sliding-window counter of Cloudflare and HAProxy: two integers per key stand in for the
 * log. At `now`, `e` ms into the current aligned window (fraction `f = e / W`), the count in the
 * sliding window is estimated as `prev × (1 - f) + curr`, i.e. as if the previous window's
 * requests had been spread evenly over it; a request passes if the estimate plus its cost is at
 * most `limit`. Kept in integers as `prev × (W - e) + curr × W <= limit × W`.
 *
 * Error bound. Let a request be admitted at `t` with fraction `f` and previous-window count
 * `prev`. The requests really inside `(t - W, t]` are `curr` plus those of the previous window in
 * its last `(1 - f)` part, at most `prev`; the admission rule bounds `curr <= limit - prev(1 - f)`;
 * so the true count is at most `limit + f × prev`. Since `prev <= limit` and `f < 1`, that is
 * below `2 × limit` (at most `2 × limit - 1` requests); it is approached when the previous
 * window's requests all came at its very end. Any window of length W holds no more than the one
 * ending at its last admitted request, so the bound holds for every sliding window.
 * When the previous window's n requests were evenly spaced (the i-th at `i × W / n` into it), the
 * requests of it still inside the sliding window number `n - 1 - floor(f × n)`, so the estimate
 * `n × (1 - f)` is never below the truth and at most one request above it: then no window of
 * length W ever holds more than `limit` (the estimate errs only by the granularity of requests).
 * `sliding-counter.test.ts` checks these statements with fast-check.
 */
export function slidingCounterStep(p: SlidingCounterParams, s: SlidingCounterState | undefined, now: number, cost: number): Step<SlidingCounterState> {
  const w = p.windowMs;
  let start = now - (now % w);
  let curr = 0;
  let prev = 0;
  if (s !== undefined) {
    if (s.start >= start) {
      // Same window, or a clock that stepped back: keep the later window.
      start = s.start;
      curr = s.curr;
      prev = s.prev;
    } else if (s.start === start - w) {
      prev = s.curr;
    }
  }
  const e = now > start ? now - start : 0;
  const weighted = prev * (w - e) + curr * w;
  const resetOf = curr > 0 ? start + 2 * w - now : prev > 0 ? start + w - now : 0;
  if (cost > p.limit) {
    return { decision: decision(false, p.limit, Math.max(Math.floor((p.cap - weighted) / w), 0), resetOf, NEVER, 0), next: undefined, ttlMs: 0 };
  }
  if (weighted + cost * w > p.cap) {
    return { decision: decision(false, p.limit, Math.max(Math.floor((p.cap - weighted) / w), 0), resetOf, retryAfter(p, start, curr, prev, now, cost), 0), next: undefined, ttlMs: 0 };
  }
  const after = curr + cost;
  const resetMs = after > 0 ? start + 2 * w - now : resetOf;
  return {
    decision: decision(true, p.limit, Math.floor((p.cap - weighted - cost * w) / w), resetMs, 0, 0),
    next: cost === 0 ? undefined : { start, curr: after, prev },
    ttlMs: resetMs,
  };
}

/** The first ms at which the weighted count leaves room for `cost`, if nothing else is admitted. */
function retryAfter(p: SlidingCounterParams, start: number, curr: number, prev: number, now: number, cost: number): number {
  const w = p.windowMs;
  const room = p.limit - curr - cost;
  if (room >= 0) {
    // Fits in this window once prev's weight has decayed: prev × (W - e) <= room × W (prev > 0 here).
    return start + w - Math.floor((room * w) / prev) - now;
  }
  // Next window: curr becomes prev, and curr × (W - e) <= (limit - cost) × W (curr > 0 here).
  return start + w + Math.max(w - Math.floor(((p.limit - cost) * w) / curr), 0) - now;
}

/** The sliding-window counter as a store plugs it in. */
export const slidingCounter: Algorithm<SlidingCounterParams, SlidingCounterState> = {
  name: 'sliding-counter',
  tag: 'sc',
  params: slidingCounterParams,
  step: slidingCounterStep,
};
