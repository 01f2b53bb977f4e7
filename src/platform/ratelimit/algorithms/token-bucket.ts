import type { RateLimitRule } from '../ratelimit.port.js';
import { checkInt, checkProduct, decision, NEVER, type Algorithm, type Step } from './step.js';

/** Token bucket parameters. Tokens are counted in units of 1/windowMs so refill is integer: `limit` units per ms. */
export interface TokenBucketParams {
  /** Bucket size in tokens (`burst ?? limit`). */
  readonly capacity: number;
  /** Tokens added per `windowMs`. */
  readonly limit: number;
  readonly windowMs: number;
  /** `capacity × windowMs`: a full bucket in units. */
  readonly full: number;
}

/** A bucket: `tokens` units (1 token = windowMs units) as of time `at`. */
export interface TokenBucketState {
  readonly tokens: number;
  readonly at: number;
}

/** Checks a token-bucket rule: a bucket of `burst ?? limit` tokens refilled at `limit` per `windowMs`. */
export function tokenBucketParams(rule: RateLimitRule): TokenBucketParams {
  const limit = checkInt('limit', rule.limit, 1);
  const windowMs = checkInt('windowMs', rule.windowMs, 1);
  const capacity = checkInt('burst', rule.burst ?? limit, 1);
  checkProduct('capacity × windowMs', capacity * windowMs);
  return { capacity, limit, windowMs, full: capacity * windowMs };
}

/**
 * The classic token bucket with continuous refill. A request of `cost` takes `cost` tokens if
 * the bucket holds them; otherwise it is refused and takes nothing. A new key starts full.
 * A clock that steps back does not refill (time is taken as the later of `now` and the last update).
 */
export function tokenBucketStep(p: TokenBucketParams, s: TokenBucketState | undefined, now: number, cost: number): Step<TokenBucketState> {
  let level = p.full;
  let base = now;
  if (s !== undefined) {
    if (s.at > base) base = s.at;
    const refill = (base - s.at) * p.limit;
    // Compared before adding so a long idle time never leaves the exact-integer range.
    level = refill >= p.full - s.tokens ? p.full : s.tokens + refill;
  }
  const ahead = base - now;
  if (cost > p.capacity) {
    return { decision: decision(false, p.capacity, Math.floor(level / p.windowMs), untilFull(p, ahead, level), NEVER, 0), next: undefined, ttlMs: 0 };
  }
  const need = cost * p.windowMs;
  if (level < need) {
    const retry = ahead + Math.ceil((need - level) / p.limit);
    return { decision: decision(false, p.capacity, Math.floor(level / p.windowMs), untilFull(p, ahead, level), retry, 0), next: undefined, ttlMs: 0 };
  }
  const left = level - need;
  const resetMs = untilFull(p, ahead, left);
  return {
    decision: decision(true, p.capacity, Math.floor(left / p.windowMs), resetMs, 0, 0),
    next: cost === 0 ? undefined : { tokens: left, at: base },
    ttlMs: resetMs,
  };
}

/** Ms until a bucket holding `units` (as of `ahead` ms from now) is full again. */
function untilFull(p: TokenBucketParams, ahead: number, units: number): number {
  return units >= p.full ? 0 : ahead + Math.ceil((p.full - units) / p.limit);
}

/** The token bucket as a store plugs it in. */
export const tokenBucket: Algorithm<TokenBucketParams, TokenBucketState> = {
  name: 'token-bucket',
  tag: 'tb',
  params: tokenBucketParams,
  step: tokenBucketStep,
};
