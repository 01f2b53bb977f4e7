import { describe, it } from 'vitest';
import { NEVER } from '../algorithms/step.js';
import type { RateLimitRule } from '../ratelimit.port.js';
import { d, play, type ContractContext, type Row } from './context.js';

/**
 * GCRA against redis-cell's own unit test (`it_rate_limits` in src/cell/mod.rs): max_burst 4,
 * 1 per second, its injected clock replaced by the ManualClock. redis-cell's
 * (limited, remaining, reset_after, retry_after) map to (!allowed, remaining, resetMs,
 * retryAfterMs), its retry_after of -1 being 0 when allowed and NEVER when the quantity can never fit.
 */
export function redisCellCases(ctx: () => ContractContext): void {
  describe('gcra = redis-cell CL.THROTTLE (src/cell/mod.rs it_rate_limits)', () => {
    it('replays the 15 cases: (time, quantity) -> (limited, remaining, reset_after, retry_after)', async () => {
      const rule: RateLimitRule = { algorithm: 'gcra', limit: 1, windowMs: 1000, burst: 4 };
      const rows: Row[] = [
        { at: 0, cost: 6, expected: d(false, 5, 5, 0, NEVER), note: 'case 0: never larger than the maximum' },
        { at: 0, expected: d(true, 5, 4, 1000), note: 'case 1' },
        { at: 0, expected: d(true, 5, 3, 2000), note: 'case 2' },
        { at: 0, expected: d(true, 5, 2, 3000), note: 'case 3' },
        { at: 0, expected: d(true, 5, 1, 4000), note: 'case 4' },
        { at: 0, expected: d(true, 5, 0, 5000), note: 'case 5' },
        { at: 0, expected: d(false, 5, 0, 5000, 1000), note: 'case 6' },
        { at: 3000, expected: d(true, 5, 2, 3000), note: 'case 7' },
        { at: 3100, expected: d(true, 5, 1, 3900), note: 'case 8' },
        { at: 4000, expected: d(true, 5, 1, 4000), note: 'case 9' },
        { at: 8000, expected: d(true, 5, 4, 1000), note: 'case 10' },
        { at: 9500, expected: d(true, 5, 4, 1000), note: 'case 11' },
        { at: 9500, cost: 0, expected: d(true, 5, 4, 1000), note: 'case 12: zero quantity peeks' },
        { at: 9500, cost: 2, expected: d(true, 5, 2, 3000), note: 'case 13: high quantity uses more' },
        { at: 9500, cost: 5, expected: d(false, 5, 2, 3000, 3000), note: 'case 14: large requests cannot exceed limits' },
      ];
      await play(ctx(), rule, 'foo', rows);
    });

    it('burst 0 (CL.THROTTLE key 0 2 1): one at a time, every 500 ms', async () => {
      const rule: RateLimitRule = { algorithm: 'gcra', limit: 2, windowMs: 1000 };
      await play(ctx(), rule, 'foo', [
        { at: 0, expected: d(true, 1, 0, 500) },
        { at: 0, expected: d(false, 1, 0, 500, 500) },
        { at: 499, expected: d(false, 1, 0, 1, 1) },
        { at: 500, expected: d(true, 1, 0, 500) },
        { at: 500, cost: 0, expected: d(true, 1, 0, 500) },
        { at: 1000, cost: 0, expected: d(true, 1, 1, 0) },
      ]);
    });
  });
}
