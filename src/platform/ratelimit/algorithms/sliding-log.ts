import type { RateLimitRule } from '../ratelimit.port.js';
import { checkInt, decision, NEVER, type Algorithm, type Step } from './step.js';

/** Sliding-log parameters. */
export interface SlidingLogParams {
  readonly limit: number;
  readonly windowMs: number;
}

/**
 * The admitted requests' times, oldest first: `log[head..len)` (a request of cost n appears n
 * times). The array may be longer than `len` and is shared with later states: a step only ever
 * appends past `len`, and copies when someone already did, so every state stays valid (pure).
 */
export interface SlidingLogState {
  readonly log: number[];
  readonly head: number;
  readonly len: number;
}

/** Checks a sliding-log rule: at most `limit` in any window of `windowMs`. */
export function slidingLogParams(rule: RateLimitRule): SlidingLogParams {
  return { limit: checkInt('limit', rule.limit, 1, 10_000_000), windowMs: checkInt('windowMs', rule.windowMs, 1) };
}

/**
 * The exact limiter: a request at `t` counts until `t + windowMs` (it is in the window
 * `(now - windowMs, now]`). Memory grows with `limit` per key. Time is taken as the later of
 * `now` and the newest entry so the log stays sorted if the clock steps back.
 */
export function slidingLogStep(p: SlidingLogParams, s: SlidingLogState | undefined, now: number, cost: number): Step<SlidingLogState> {
  let log: number[] | undefined;
  let head = 0;
  let len = 0;
  let t = now;
  if (s !== undefined) {
    log = s.log;
    head = s.head;
    len = s.len;
    if (len > head && log[len - 1]! > t) t = log[len - 1]!;
    const cutoff = t - p.windowMs;
    while (head < len && log[head]! <= cutoff) head++;
  }
  const count = len - head;
  const untilEmpty = count > 0 ? log![len - 1]! + p.windowMs - now : 0;
  if (cost > p.limit) {
    return { decision: decision(false, p.limit, p.limit - count, untilEmpty, NEVER, 0), next: undefined, ttlMs: 0 };
  }
  if (count + cost > p.limit) {
    // The request fits once the (count + cost - limit) oldest entries have left the window.
    const retry = log![head + count + cost - p.limit - 1]! + p.windowMs - now;
    return { decision: decision(false, p.limit, p.limit - count, untilEmpty, retry, 0), next: undefined, ttlMs: 0 };
  }
  if (cost === 0) {
    return { decision: decision(true, p.limit, p.limit - count, untilEmpty, 0, 0), next: undefined, ttlMs: 0 };
  }
  if (log === undefined || log.length !== len || (head > 32 && head * 2 > len)) {
    // Copy when another state already appended here, or compact once most of the array is dead.
    log = log === undefined ? [] : log.slice(head, len);
    len -= head;
    head = 0;
  }
  for (let i = 0; i < cost; i++) log.push(t);
  const resetMs = t + p.windowMs - now;
  return {
    decision: decision(true, p.limit, p.limit - count - cost, resetMs, 0, 0),
    next: { log, head, len: len + cost },
    ttlMs: resetMs,
  };
}

/** The sliding log as a store plugs it in. */
export const slidingLog: Algorithm<SlidingLogParams, SlidingLogState> = {
  name: 'sliding-log',
  tag: 'sl',
  params: slidingLogParams,
  step: slidingLogStep,
};
