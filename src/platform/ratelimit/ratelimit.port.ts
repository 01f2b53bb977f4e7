/**
 * Rate limiting: the algorithms of the canon behind one port, with an in-memory store and a Redis
 * store (every decision one atomic Lua call). Both stores implement every algorithm with the same
 * semantics; one contract suite runs against both.
 */

export type RateLimitAlgorithm = 'token-bucket' | 'leaky-bucket' | 'fixed-window' | 'sliding-log' | 'sliding-counter' | 'gcra';

/**
 * One limit. `limit` per `windowMs` is the quota or the steady rate, depending on the algorithm:
 * - `fixed-window`, `sliding-log`, `sliding-counter`: at most `limit` requests per `windowMs`.
 * - `token-bucket`: a bucket of `burst ?? limit` tokens, refilled at `limit` per `windowMs`.
 * - `leaky-bucket`: nginx `limit_req` at rate `limit` per `windowMs` with `burst` (default 0) and
 *   `delay` (default 0: every excess request is delayed; `delay = burst` is nginx's `nodelay`).
 * - `gcra`: the generic cell rate algorithm (redis-cell) at `limit` per `windowMs` with
 *   `burst` (default 0): `burst + 1` requests may pass at once.
 */
export interface RateLimitRule {
  algorithm: RateLimitAlgorithm;
  limit: number;
  windowMs: number;
  burst?: number;
  delay?: number;
}

/** The answer to one request. Times are milliseconds from now. */
export interface RateLimitDecision {
  allowed: boolean;
  /** The quota advertised in headers (requests per window, or burst capacity for buckets). */
  limit: number;
  /** Requests that would still be allowed right now after this one. */
  remaining: number;
  /** Until the quota is fully available again. */
  resetMs: number;
  /**
   * Until a refused request would be allowed (0 when allowed; -1, `NEVER`, when it never can be:
   * its cost is above what the limiter admits at once).
   */
  retryAfterMs: number;
  /** leaky-bucket only: how long to hold an allowed request before serving it (nginx `delay`). */
  delayMs: number;
}

/** Where limiter state lives. */
export interface RateLimitStore {
  /**
   * Decides for `key` under `rule` and records the request when allowed. `cost` (default 1) is
   * how many requests this one counts as; cost 0 only looks, recording nothing.
   */
  decide(rule: RateLimitRule, key: string, cost?: number): Promise<RateLimitDecision>;
  /** The same decision without a promise, for stores that need no I/O (the in-memory one). */
  decideSync?(rule: RateLimitRule, key: string, cost?: number): RateLimitDecision;
  /**
   * The decision when this process can make it without I/O (from a lease: see
   * LeasedRateLimitStore), else undefined and nothing recorded: `decide` answers.
   */
  tryDecideSync?(rule: RateLimitRule, key: string, cost?: number): RateLimitDecision | undefined;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
