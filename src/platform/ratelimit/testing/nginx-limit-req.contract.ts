import { describe, it } from 'vitest';
import type { RateLimitRule } from '../ratelimit.port.js';
import { d, play, type ContractContext } from './context.js';

/** nginx `limit_req_zone ... rate=<r>r/s|r/m` + `limit_req burst=<b> [delay=<n>|nodelay]` as a rule. */
function zone(perSecond: number, burst: number, delay?: number | 'nodelay', perMinute = false): RateLimitRule {
  return {
    algorithm: 'leaky-bucket',
    limit: perSecond,
    windowMs: perMinute ? 60_000 : 1000,
    burst,
    delay: delay === 'nodelay' ? burst : delay,
  };
}

/**
 * The leaky bucket against nginx's own test suite (nginx-tests `limit_req.t` and
 * `limit_req_delay.t`), each HTTP exchange replayed as a decision at a ManualClock time, plus the
 * rate=2r/s burst=2 family with each kind of delay. nginx integer math: rate 2r/s = 2000,
 * excess in 1/1000 requests, delay = (excess - delay) × 1000 / rate ms.
 */
export function nginxLimitReqCases(ctx: () => ContractContext): void {
  describe('leaky-bucket = nginx limit_req (nginx-tests)', () => {
    it("limit_req.t 'request', 'request rejected', 'rejects not counted': rate=2r/s burst=1 nodelay", async () => {
      const one = zone(2, 1, 'nodelay');
      await play(ctx(), one, '127.0.0.1', [
        { at: 0, expected: d(true, 2, 1, 500), note: 'request: excess 0' },
        { at: 0, expected: d(true, 2, 0, 1000), note: 'excess 1.000 = burst, not delayed (nodelay)' },
        { at: 0, expected: d(false, 2, 0, 1000, 500), note: 'request rejected: excess 2.000 > burst' },
        { at: 0, expected: d(false, 2, 0, 1000, 500), note: 'request rejected status (same zone)' },
        { at: 0, expected: d(false, 2, 0, 1000, 500) },
        { at: 0, expected: d(false, 2, 0, 1000, 500) },
        { at: 499, expected: d(false, 2, 0, 501, 1), note: 'excess 1.002: still over' },
        { at: 500, expected: d(true, 2, 0, 1000), note: 'rejects not counted: allowed again after 1/rate' },
      ]);
    });

    it("limit_req.t 'delayed big request not truncated': rate=2r/s burst=5 delays the second request 500 ms", async () => {
      const long = zone(2, 5);
      await play(ctx(), long, '127.0.0.1', [
        { at: 0, expected: d(true, 6, 5, 500, 0, 0) },
        { at: 0, expected: d(true, 6, 4, 1000, 0, 500), note: 'second request delayed by limit_req' },
        { at: 0, expected: d(true, 6, 3, 1500, 0, 1000) },
        { at: 0, expected: d(true, 6, 2, 2000, 0, 1500) },
        { at: 0, expected: d(true, 6, 1, 2500, 0, 2000) },
        { at: 0, expected: d(true, 6, 0, 3000, 0, 2500), note: 'excess 5.000 = burst: delayed, not refused' },
        { at: 0, expected: d(false, 6, 0, 3000, 500) },
      ]);
    });

    it("limit_req.t 'negative excess': rate=1000r/s burst=1, a request 100 ms later passes undelayed", async () => {
      const fast = zone(1000, 1);
      await play(ctx(), fast, '127.0.0.1', [
        { at: 0, expected: d(true, 2, 1, 1, 0, 0) },
        { at: 100, expected: d(true, 2, 1, 1, 0, 0), note: '0 - 1000000 × 100 / 1000 + 1000 < 0, clamped to 0' },
        { at: 100, expected: d(true, 2, 0, 2, 0, 1), note: 'excess 1.000 at 1000 r/s: 1 ms' },
      ]);
    });

    it("limit_req.t 'key passed': keys are limited separately (rate=1000r/s burst=100 per X-Key)", async () => {
      const key = zone(1000, 100);
      await play(ctx(), key, 'short', [{ at: 0, expected: d(true, 101, 100, 1) }]);
      await play(ctx(), key, 'short', [{ at: 0, expected: d(true, 101, 99, 2, 0, 1) }]);
      await play(ctx(), key, 'other', [{ at: 0, expected: d(true, 101, 100, 1) }]);
    });

    it("limit_req_delay.t 'not yet delayed', 'rejected', 'delayed': rate=30r/m burst=2 delay=1", async () => {
      const one = zone(30, 2, 1, true);
      await play(ctx(), one, '127.0.0.1', [
        { at: 0, expected: d(true, 3, 2, 2000, 0, 0), note: 'request' },
        { at: 0, expected: d(true, 3, 1, 4000, 0, 0), note: 'not yet delayed: excess 1.000 <= delay' },
        { at: 0, expected: d(true, 3, 0, 6000, 0, 2000), note: 'delayed: (2.000 - 1.000) / 0.5 r/s' },
        { at: 200, expected: d(false, 3, 0, 5800, 1800), note: 'rejected: excess 1.900 + 1 > burst' },
      ]);
    });

    it('rate=2r/s burst=2: delay (default), delay=1 and nodelay', async () => {
      await play(ctx(), zone(2, 2), 'delay-0', [
        { at: 0, expected: d(true, 3, 2, 500, 0, 0) },
        { at: 0, expected: d(true, 3, 1, 1000, 0, 500) },
        { at: 0, expected: d(true, 3, 0, 1500, 0, 1000) },
        { at: 0, expected: d(false, 3, 0, 1500, 500) },
        { at: 250, expected: d(false, 3, 0, 1250, 250) },
        { at: 500, expected: d(true, 3, 0, 1500, 0, 1000), note: 'one request leaked out' },
      ]);
      await play(ctx(), zone(2, 2, 1), 'delay-1', [
        { at: 0, expected: d(true, 3, 2, 500, 0, 0) },
        { at: 0, expected: d(true, 3, 1, 1000, 0, 0) },
        { at: 0, expected: d(true, 3, 0, 1500, 0, 500) },
        { at: 0, expected: d(false, 3, 0, 1500, 500) },
      ]);
      await play(ctx(), zone(2, 2, 'nodelay'), 'nodelay', [
        { at: 0, expected: d(true, 3, 2, 500, 0, 0) },
        { at: 0, expected: d(true, 3, 1, 1000, 0, 0) },
        { at: 0, expected: d(true, 3, 0, 1500, 0, 0) },
        { at: 0, expected: d(false, 3, 0, 1500, 500) },
        { at: 1500, expected: d(true, 3, 2, 500, 0, 0), note: 'drained: as good as a new node' },
      ]);
    });
  });
}
