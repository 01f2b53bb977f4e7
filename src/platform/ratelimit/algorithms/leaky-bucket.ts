import type { RateLimitRule } from '../ratelimit.port.js';
import { checkInt, checkProduct, decision, NEVER, type Algorithm, type Step } from './step.js';

/**
 * nginx `limit_req` parameters, in nginx's own integer units: `rate` in requests per 1000 s
 * (nginx: "1 corresponds to 0.001 r/s"), `burst` and `delay` in 1/1000 of a request.
 */
export interface LeakyBucketParams {
  readonly rate: number;
  readonly burst: number;
  readonly delay: number;
  /** Requests that may pass at once from an idle key: `burst + 1`. */
  readonly limit: number;
}

/** An nginx `limit_req` node: `excess` in 1/1000 requests, `last` the time it was last updated. */
export interface LeakyBucketState {
  readonly excess: number;
  readonly last: number;
}

/**
 * Checks a leaky-bucket rule: rate `limit` per `windowMs` (nginx computes `rate=30r/m` as
 * 30 × 1000 / 60 = 500; `limit × 10^6 / windowMs` floored gives the same integer), `burst`
 * (default 0) and `delay` (default 0; `delay >= burst` is `nodelay`).
 */
export function leakyBucketParams(rule: RateLimitRule): LeakyBucketParams {
  const limit = checkInt('limit', rule.limit, 1);
  const windowMs = checkInt('windowMs', rule.windowMs, 1);
  checkProduct('limit × 10^6', limit * 1_000_000);
  const rate = Math.floor((limit * 1_000_000) / windowMs);
  if (rate < 1) throw new RangeError('rate limit: leaky-bucket rate must be at least 1 request per 1000 s');
  const burst = checkInt('burst', rule.burst ?? 0, 0, 2 ** 32);
  const delay = checkInt('delay', rule.delay ?? 0, 0, 2 ** 32);
  return { rate, burst: burst * 1000, delay: delay * 1000, limit: burst + 1 };
}

/** Ms after `last` at which a node holding `excess` has drained back to "as good as new". */
function drainMs(p: LeakyBucketParams, excess: number): number {
  return Math.ceil(((excess + 1000) * 1000) / p.rate);
}

/**
 * ngx_http_limit_req_lookup + ngx_http_limit_req_account for one zone, in the same integer math:
 * `excess = max(prev - rate × ms / 1000 + 1000, 0)`; above `burst` the request is refused and the
 * node is left alone; otherwise the node keeps `excess` and the request is held
 * `(excess - delay) × 1000 / rate` ms when `excess > delay`. nginx's clock rules are kept too:
 * a negative `ms` counts as 0 (and `last` is not moved back), below -60 s as 1.
 *
 * A new key passes with excess 0 (nginx creates the node with excess 0), which is the same as a
 * node drained to -1000 before the `+ 1000`; so `cost` requests at once add `1000 × cost` to
 * `max(prev - drained, -1000)`, exactly as `cost` single requests in a row would.
 */
export function leakyBucketStep(p: LeakyBucketParams, s: LeakyBucketState | undefined, now: number, cost: number): Step<LeakyBucketState> {
  let level = -1000;
  let last = now;
  if (s !== undefined) {
    let ms = now - s.last;
    if (ms < -60_000) ms = 1;
    else if (ms < 0) ms = 0;
    // Past the drain time the node is as good as new; checked first so rate × ms stays small.
    level = ms >= drainMs(p, s.excess) ? -1000 : Math.max(s.excess - Math.floor((p.rate * ms) / 1000), -1000);
    last = ms !== 0 ? now : s.last;
  }
  if (cost > p.limit) {
    return refused(p, s, now, level, NEVER);
  }
  const excess = level + 1000 * cost;
  if (excess > p.burst) {
    // Refused implies s !== undefined: a new key takes up to burst + 1 at once.
    const st = s as LeakyBucketState;
    const need = st.excess + 1000 * cost - p.burst;
    return refused(p, s, now, level, Math.max(st.last + Math.ceil((need * 1000) / p.rate) - now, 1));
  }
  if (cost === 0) {
    const resetMs = s === undefined ? 0 : Math.max(s.last + drainMs(p, s.excess) - now, 0);
    return { decision: decision(true, p.limit, Math.floor((p.burst - excess) / 1000), resetMs, 0, 0), next: undefined, ttlMs: 0 };
  }
  const delayMs = excess > p.delay ? Math.floor(((excess - p.delay) * 1000) / p.rate) : 0;
  const resetMs = last + drainMs(p, excess) - now;
  return {
    decision: decision(true, p.limit, Math.floor((p.burst - excess) / 1000), resetMs, 0, delayMs),
    next: { excess, last },
    ttlMs: resetMs,
  };
}

function refused(p: LeakyBucketParams, s: LeakyBucketState | undefined, now: number, level: number, retryAfterMs: number): Step<LeakyBucketState> {
  const remaining = Math.max(Math.floor((p.burst - level) / 1000), 0);
  const resetMs = s === undefined ? 0 : Math.max(s.last + drainMs(p, s.excess) - now, 0);
  return { decision: decision(false, p.limit, remaining, resetMs, retryAfterMs, 0), next: undefined, ttlMs: 0 };
}

/** nginx's leaky bucket as a store plugs it in. */
export const leakyBucket: Algorithm<LeakyBucketParams, LeakyBucketState> = {
  name: 'leaky-bucket',
  tag: 'lb',
  params: leakyBucketParams,
  step: leakyBucketStep,
};
