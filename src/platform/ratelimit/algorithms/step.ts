import type { RateLimitDecision, RateLimitRule } from '../ratelimit.port.js';

/** `retryAfterMs` of a request that can never pass: its cost is above the limiter's capacity. */
export const NEVER = -1;

/**
 * What one request does to one key: the answer, and the state to keep afterwards.
 * Every algorithm is a pure function `(params, state | undefined, now, cost) => Step`; the stores
 * only fetch the state, call it and keep `next` for `ttlMs`.
 */
export interface Step<S> {
  readonly decision: RateLimitDecision;
  /** The state to store, or `undefined` when the request changed nothing (refused, or cost 0). */
  readonly next: S | undefined;
  /**
   * How long `next` matters, in ms from `now`. Past it the state is equivalent to no state at all
   * (bucket full again, window over...), so a store may forget the key then; a property test
   * checks that equivalence for every algorithm.
   */
  readonly ttlMs: number;
}

/**
 * One algorithm: how to turn a rule into checked integer parameters, and the transition.
 * `state` is `undefined` for a key never seen (or forgotten after its TTL).
 */
export interface Algorithm<P, S> {
  readonly name: RateLimitRule['algorithm'];
  /** Short tag naming the algorithm inside store keys, so two algorithms never share a state. */
  readonly tag: string;
  /** Validates the rule (RangeError on nonsense) and precomputes the integers the step uses. */
  params(rule: RateLimitRule): P;
  step(params: P, state: S | undefined, now: number, cost: number): Step<S>;
}

/** Builds a decision; one place so every algorithm returns objects of the same shape (one hidden class). */
export function decision(allowed: boolean, limit: number, remaining: number, resetMs: number, retryAfterMs: number, delayMs: number): RateLimitDecision {
  return { allowed, limit, remaining, resetMs, retryAfterMs, delayMs };
}

// Every intermediate value stays an integer below 2^52 (checked on the rule), so plain double
// arithmetic is exact here and in Redis's Lua, and both stores compute the very same numbers.
const MAX = 2 ** 52;

/** An integer in [min, max], else a RangeError naming the field. */
export function checkInt(name: string, value: unknown, min: number, max = MAX): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`rate limit: ${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

/** Throws unless a product of rule parameters stays in the exact-integer range. */
export function checkProduct(what: string, value: number): void {
  if (value > MAX) throw new RangeError(`rate limit: ${what} is too large (must stay below 2^52)`);
}

/** The largest cost accepted; far above any capacity, small enough that cost × anything stays exact. */
export const MAX_COST = 2 ** 31;
