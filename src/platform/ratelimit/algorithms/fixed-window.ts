import type { RateLimitRule } from '../ratelimit.port.js';
import { checkInt, decision, NEVER, type Algorithm, type Step } from './step.js';

/** Fixed-window parameters. */
export interface FixedWindowParams {
  readonly limit: number;
  readonly windowMs: number;
}

/** The count of the window starting at `start` (a multiple of windowMs since the epoch). */
export interface FixedWindowState {
  readonly start: number;
  readonly count: number;
}

/** Checks a fixed-window rule: at most `limit` per window of `windowMs` aligned on the epoch. */
export function fixedWindowParams(rule: RateLimitRule): FixedWindowParams {
  return { limit: checkInt('limit', rule.limit, 1), windowMs: checkInt('windowMs', rule.windowMs, 1) };
}

/**
 * A counter per window aligned on the epoch (every process and Redis agree on the boundaries
 * without sharing anything). It admits up to `2 × limit` around a boundary; that is the price of
 * one integer per key. A clock stepping back into an earlier window keeps counting in the later one.
 */
export function fixedWindowStep(p: FixedWindowParams, s: FixedWindowState | undefined, now: number, cost: number): Step<FixedWindowState> {
  let start = now - (now % p.windowMs);
  let count = 0;
  if (s !== undefined && s.start >= start) {
    start = s.start;
    count = s.count;
  }
  const untilEnd = start + p.windowMs - now;
  if (cost > p.limit || count + cost > p.limit) {
    const retry = cost > p.limit ? NEVER : untilEnd;
    return { decision: decision(false, p.limit, p.limit - count, count > 0 ? untilEnd : 0, retry, 0), next: undefined, ttlMs: 0 };
  }
  const after = count + cost;
  return {
    decision: decision(true, p.limit, p.limit - after, after > 0 ? untilEnd : 0, 0, 0),
    next: cost === 0 ? undefined : { start, count: after },
    ttlMs: untilEnd,
  };
}

/** The fixed window as a store plugs it in. */
export const fixedWindow: Algorithm<FixedWindowParams, FixedWindowState> = {
  name: 'fixed-window',
  tag: 'fw',
  params: fixedWindowParams,
  step: fixedWindowStep,
};
