import { expect } from 'vitest';
import type { ManualClock } from '../../clock/index.js';
import type { RateLimitDecision, RateLimitRule, RateLimitStore } from '../ratelimit.port.js';

/** What each group of contract tests works with: the store under test and its clock. */
export interface ContractContext {
  readonly store: RateLimitStore;
  readonly clock: ManualClock;
  /** The clock reading the test started at: aligned on every window the tests use (a whole hour). */
  readonly t0: number;
}

/** A decision, written positionally so that tables of cases stay readable. */
export function d(allowed: boolean, limit: number, remaining: number, resetMs: number, retryAfterMs = 0, delayMs = 0): RateLimitDecision {
  return { allowed, limit, remaining, resetMs, retryAfterMs, delayMs };
}

/** One row of a scripted sequence: at `at` ms after t0, a request of `cost` gets `expected`. */
export interface Row {
  at: number;
  cost?: number;
  expected: RateLimitDecision;
  /** What the row stands for (a test name of nginx-tests, a case number of redis-cell...). */
  note?: string;
}

/** Plays rows in order on one key, checking every decision in full. */
export async function play(ctx: ContractContext, rule: RateLimitRule, key: string, rows: readonly Row[]): Promise<void> {
  for (const [i, row] of rows.entries()) {
    ctx.clock.set(ctx.t0 + row.at);
    const got = await ctx.store.decide(rule, key, row.cost ?? 1);
    expect(got, `row ${i}${row.note ? ` (${row.note})` : ''} at +${row.at} ms, cost ${row.cost ?? 1}`).toEqual(row.expected);
  }
}
