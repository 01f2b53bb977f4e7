import type { RateLimitRule } from '../ratelimit.port.js';
import { checkInt, checkProduct, decision, NEVER, type Algorithm, type Step } from './step.js';

/** GCRA parameters, in microseconds (redis-cell uses nanoseconds; ms × 1000 keeps epoch times exact). */
export interface GcraParams {
  /** Emission interval T: `windowMs / limit`, truncated to the µs as redis-cell truncates to the ns. */
  readonly interval: number;
  /** Delay variation tolerance: `T × (burst + 1)`. */
  readonly tolerance: number;
  /** `burst + 1`, redis-cell's `limit`. */
  readonly limit: number;
}

/** The theoretical arrival time, µs since the epoch. */
export interface GcraState {
  readonly tat: number;
}

/** Checks a GCRA rule: `limit` per `windowMs` (redis-cell's count per period) with `burst` (default 0). */
export function gcraParams(rule: RateLimitRule): GcraParams {
  const limit = checkInt('limit', rule.limit, 1);
  const windowMs = checkInt('windowMs', rule.windowMs, 1, 2 ** 40);
  const burst = checkInt('burst', rule.burst ?? 0, 0, 2 ** 32);
  const interval = Math.floor((windowMs * 1000) / limit);
  if (interval < 1) throw new RangeError('rate limit: gcra allows at most one request per µs');
  // The tolerance is added to epoch µs (~2^51 today); keep the sum exact.
  checkProduct('gcra tolerance (µs) + now', interval * (burst + 1) * 2);
  return { interval, tolerance: interval * (burst + 1), limit: burst + 1 };
}

/**
 * redis-cell's `CL.THROTTLE key max_burst count period quantity`, step for step:
 * `new_tat = max(tat, now) + T × quantity`; limited when `new_tat - DVT > now`, with
 * `retry_after = new_tat - DVT - now` (redis-cell's -1, "never", when the quantity alone exceeds
 * the tolerance); `reset_after = new_tat - now` (allowed) or `tat - now` (limited);
 * `remaining = floor((DVT - reset_after) / T)`. Times come out in ms, rounded up so that waiting
 * them is always enough. `retryAfterMs` is 0 when allowed where redis-cell says -1.
 */
export function gcraStep(p: GcraParams, s: GcraState | undefined, now: number, cost: number): Step<GcraState> {
  const nowUs = now * 1000;
  const tat = s !== undefined && s.tat > nowUs ? s.tat : nowUs;
  if (cost > p.limit) {
    // increment > DVT: redis-cell refuses with retry_after -1; tested first so T × cost stays exact.
    return { decision: decision(false, p.limit, remainingOf(p, tat - nowUs), Math.ceil((tat - nowUs) / 1000), NEVER, 0), next: undefined, ttlMs: 0 };
  }
  const newTat = tat + p.interval * cost;
  const allowAt = newTat - p.tolerance;
  if (allowAt > nowUs) {
    const retry = Math.ceil((allowAt - nowUs) / 1000);
    return { decision: decision(false, p.limit, remainingOf(p, tat - nowUs), Math.ceil((tat - nowUs) / 1000), retry, 0), next: undefined, ttlMs: 0 };
  }
  const ttlMs = Math.ceil((newTat - nowUs) / 1000);
  return {
    decision: decision(true, p.limit, remainingOf(p, newTat - nowUs), ttlMs, 0, 0),
    next: cost === 0 ? undefined : { tat: newTat },
    ttlMs,
  };
}

function remainingOf(p: GcraParams, ttlUs: number): number {
  const next = p.tolerance - ttlUs;
  return next > 0 ? Math.floor(next / p.interval) : 0;
}

/** GCRA as a store plugs it in. */
export const gcra: Algorithm<GcraParams, GcraState> = {
  name: 'gcra',
  tag: 'gc',
  params: gcraParams,
  step: gcraStep,
};
