import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/index.js';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState, type Permit } from './circuit-breaker.js';

const T0 = Date.UTC(2026, 0, 1);

/** A breaker on a manual clock that records its changes of state. */
function setup(options: Omit<CircuitBreakerOptions, 'clock' | 'onStateChange'> = {}) {
  const clock = new ManualClock(T0);
  const changes: string[] = [];
  const breaker = new CircuitBreaker({ ...options, clock, onStateChange: (from, to) => changes.push(`${from}->${to}`) });
  return { clock, changes, breaker };
}

function acquire(breaker: CircuitBreaker): Permit {
  const permit = breaker.tryAcquire();
  if (permit === undefined) throw new Error(`refused while ${breaker.state}`);
  return permit;
}

function fail(breaker: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i++) acquire(breaker).failure();
}

function succeed(breaker: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i++) acquire(breaker).success();
}

describe('CircuitBreaker', () => {
  describe('closed', () => {
    it('starts closed and lets everything through', () => {
      const { breaker, changes } = setup();
      expect(breaker.state).toBe('closed');
      const permits = Array.from({ length: 100 }, () => breaker.tryAcquire());
      expect(permits.every((p) => p !== undefined)).toBe(true);
      expect(changes).toEqual([]);
    });

    it('opens on the failureThreshold-th consecutive failure (default 5), not before', () => {
      const { breaker, changes } = setup();
      fail(breaker, 4);
      expect(breaker.state).toBe('closed');
      expect(breaker.snapshot().consecutiveFailures).toBe(4);
      fail(breaker, 1);
      expect(breaker.state).toBe('open');
      expect(changes).toEqual(['closed->open']);
      expect(breaker.tryAcquire()).toBeUndefined();
    });

    it('counts only consecutive failures: a success starts the count again', () => {
      const { breaker } = setup({ failureThreshold: 3 });
      fail(breaker, 2);
      succeed(breaker, 1);
      fail(breaker, 2);
      expect(breaker.state).toBe('closed');
      fail(breaker, 1);
      expect(breaker.state).toBe('open');
    });

    it('does not count released permits either way', () => {
      const { breaker } = setup({ failureThreshold: 2 });
      acquire(breaker).failure();
      for (let i = 0; i < 10; i++) acquire(breaker).release();
      expect(breaker.snapshot().consecutiveFailures).toBe(1);
      acquire(breaker).failure();
      expect(breaker.state).toBe('open');
    });

    it('settles a permit once: later calls are ignored', () => {
      const { breaker } = setup({ failureThreshold: 2 });
      const p = acquire(breaker);
      p.failure();
      p.failure();
      p.failure();
      expect(breaker.snapshot().consecutiveFailures).toBe(1);
      const q = acquire(breaker);
      q.success();
      q.failure();
      q.release();
      expect(breaker.snapshot().consecutiveFailures).toBe(0);
      expect(breaker.state).toBe('closed');
    });

    it('counts outcomes of concurrent requests as they settle', () => {
      const { breaker } = setup({ failureThreshold: 3 });
      const inFlight = Array.from({ length: 5 }, () => acquire(breaker));
      inFlight[0]!.failure();
      inFlight[1]!.failure();
      inFlight[2]!.failure();
      expect(breaker.state).toBe('open');
      // The last two were issued while closed; their outcomes no longer matter.
      inFlight[3]!.success();
      inFlight[4]!.failure();
      expect(breaker.state).toBe('open');
      expect(breaker.snapshot().consecutiveFailures).toBe(0);
    });
  });

  describe('open', () => {
    it('refuses for openMs (default 10 s), then turns half-open lazily', () => {
      const { breaker, clock, changes } = setup();
      fail(breaker, 5);
      expect(breaker.snapshot().retryAt).toBe(T0 + 10_000);
      clock.advance(9_999);
      expect(breaker.tryAcquire()).toBeUndefined();
      expect(breaker.state).toBe('open');
      clock.advance(1);
      // Nothing happens until someone looks.
      expect(changes).toEqual(['closed->open']);
      expect(breaker.state).toBe('half-open');
      expect(changes).toEqual(['closed->open', 'open->half-open']);
    });

    it('turns half-open on tryAcquire and hands that caller the probe', () => {
      const { breaker, clock, changes } = setup({ failureThreshold: 1, openMs: 1_000 });
      fail(breaker, 1);
      clock.advance(1_000);
      const probe = breaker.tryAcquire();
      expect(probe).toBeDefined();
      expect(changes).toEqual(['closed->open', 'open->half-open']);
      expect(breaker.snapshot()).toMatchObject({ state: 'half-open', probeInFlight: true, retryAt: undefined });
    });

    it('ignores late outcomes of requests from the closed period', () => {
      const { breaker, clock } = setup({ failureThreshold: 1, openMs: 1_000 });
      const slow = acquire(breaker);
      fail(breaker, 1);
      slow.success();
      expect(breaker.state).toBe('open');
      clock.advance(1_000);
      const probe = acquire(breaker);
      // A success from before the breaker opened must not close it behind the probe's back.
      slow.success();
      expect(breaker.state).toBe('half-open');
      probe.failure();
      expect(breaker.state).toBe('open');
    });
  });

  describe('half-open', () => {
    function halfOpen(options: Omit<CircuitBreakerOptions, 'clock' | 'onStateChange'> = {}) {
      const s = setup({ failureThreshold: 1, openMs: 1_000, ...options });
      while (s.breaker.state === 'closed') fail(s.breaker, 1);
      s.clock.advance(1_000);
      expect(s.breaker.state).toBe('half-open');
      return s;
    }

    it('admits exactly one probe: a second acquire is refused while it is out', () => {
      const { breaker } = halfOpen();
      const first = breaker.tryAcquire();
      const second = breaker.tryAcquire();
      expect(first).toBeDefined();
      expect(second).toBeUndefined();
      const many = Array.from({ length: 50 }, () => breaker.tryAcquire());
      expect(many.filter((p) => p !== undefined)).toHaveLength(0);
    });

    it('closes when the probe succeeds, and starts counting afresh', () => {
      const { breaker, changes } = halfOpen({ failureThreshold: 2 });
      acquire(breaker).success();
      expect(breaker.state).toBe('closed');
      expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
      expect(breaker.snapshot()).toMatchObject({ consecutiveFailures: 0, probeInFlight: false, openMs: 1_000 });
      succeed(breaker, 3);
      fail(breaker, 1);
      expect(breaker.state).toBe('closed');
      fail(breaker, 1);
      expect(breaker.state).toBe('open');
    });

    it('opens again for openMs when the probe fails', () => {
      const { breaker, clock, changes } = halfOpen();
      acquire(breaker).failure();
      expect(breaker.state).toBe('open');
      expect(changes.at(-1)).toBe('half-open->open');
      expect(breaker.snapshot().retryAt).toBe(clock.now() + 1_000);
      clock.advance(999);
      expect(breaker.tryAcquire()).toBeUndefined();
      clock.advance(1);
      expect(breaker.tryAcquire()).toBeDefined();
    });

    it('lets another probe through when the probe is released unsettled, staying half-open', () => {
      const { breaker, changes } = halfOpen();
      const probe = acquire(breaker);
      probe.release();
      expect(breaker.state).toBe('half-open');
      expect(breaker.snapshot().probeInFlight).toBe(false);
      const next = breaker.tryAcquire();
      expect(next).toBeDefined();
      expect(breaker.tryAcquire()).toBeUndefined();
      // The released probe's later calls do nothing.
      probe.success();
      expect(breaker.state).toBe('half-open');
      next!.success();
      expect(breaker.state).toBe('closed');
      expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
    });

    it('doubles the open time after each failed probe up to maxOpenMs, and resets it on closing', () => {
      const { breaker, clock } = halfOpen({ maxOpenMs: 5_000 });
      const openTimes: number[] = [];
      for (let i = 0; i < 5; i++) {
        acquire(breaker).failure();
        const { openMs, retryAt } = breaker.snapshot();
        openTimes.push(openMs);
        expect(retryAt).toBe(clock.now() + openMs);
        clock.advance(openMs - 1);
        expect(breaker.tryAcquire()).toBeUndefined();
        clock.advance(1);
      }
      expect(openTimes).toEqual([2_000, 4_000, 5_000, 5_000, 5_000]);
      acquire(breaker).success();
      expect(breaker.snapshot().openMs).toBe(1_000);
      fail(breaker, 1);
      expect(breaker.snapshot().retryAt).toBe(clock.now() + 1_000);
    });

    it('does not double without maxOpenMs', () => {
      const { breaker, clock } = halfOpen();
      for (let i = 0; i < 3; i++) {
        acquire(breaker).failure();
        expect(breaker.snapshot().openMs).toBe(1_000);
        clock.advance(1_000);
      }
    });
  });

  describe('failure rate', () => {
    const rate = { failureThreshold: Number.POSITIVE_INFINITY, failureRate: 0.5, windowMs: 10_000, minimumRequests: 10 };

    it('opens once the share of failures in the window reaches failureRate', () => {
      const { breaker } = setup(rate);
      for (let i = 0; i < 4; i++) {
        succeed(breaker, 1);
        fail(breaker, 1);
      }
      succeed(breaker, 1);
      expect(breaker.snapshot()).toMatchObject({ state: 'closed', windowRequests: 9, windowFailures: 4 });
      fail(breaker, 1); // 5 of 10
      expect(breaker.state).toBe('open');
    });

    it('waits for minimumRequests outcomes, however bad they are', () => {
      const { breaker } = setup(rate);
      fail(breaker, 9);
      expect(breaker.state).toBe('closed');
      fail(breaker, 1);
      expect(breaker.state).toBe('open');
    });

    it('compares rates exactly at the boundary (0.28 of 25 is 7 failures, though 0.28 × 25 is 7.000000000000001)', () => {
      const { breaker } = setup({ ...rate, failureRate: 0.28 });
      succeed(breaker, 18);
      fail(breaker, 6);
      expect(breaker.state).toBe('closed');
      fail(breaker, 1);
      expect(breaker.state).toBe('open');
    });

    it('forgets outcomes that have left the window', () => {
      const { breaker, clock } = setup(rate);
      fail(breaker, 9);
      clock.advance(10_000);
      expect(breaker.snapshot().windowRequests).toBe(0);
      succeed(breaker, 9);
      fail(breaker, 1); // 1 of 10
      expect(breaker.state).toBe('closed');
    });

    it('still opens on consecutive failures when a threshold is set too', () => {
      const { breaker } = setup({ ...rate, failureThreshold: 3 });
      succeed(breaker, 50);
      fail(breaker, 3);
      expect(breaker.state).toBe('open');
    });

    it('starts a fresh window after closing again', () => {
      const { breaker, clock } = setup({ ...rate, openMs: 1_000 });
      fail(breaker, 10);
      clock.advance(1_000);
      acquire(breaker).success();
      expect(breaker.snapshot()).toMatchObject({ state: 'closed', windowRequests: 0, windowFailures: 0 });
      fail(breaker, 1);
      expect(breaker.state).toBe('closed');
    });

    it('counts nothing in the window when the rate is off', () => {
      const { breaker } = setup();
      fail(breaker, 2);
      expect(breaker.snapshot()).toMatchObject({ windowRequests: 0, windowFailures: 0 });
    });
  });

  it('walks the whole cycle, telling onStateChange of each change once', () => {
    const seen: [CircuitState, CircuitState][] = [];
    const clock = new ManualClock(T0);
    const breaker = new CircuitBreaker({ clock, failureThreshold: 2, openMs: 100, onStateChange: (from, to) => seen.push([from, to]) });
    fail(breaker, 2);
    clock.advance(100);
    acquire(breaker).failure();
    clock.advance(100);
    acquire(breaker).success();
    expect(seen).toEqual([
      ['closed', 'open'],
      ['open', 'half-open'],
      ['half-open', 'open'],
      ['open', 'half-open'],
      ['half-open', 'closed'],
    ]);
  });

  it('is consistent when onStateChange throws', () => {
    const clock = new ManualClock(T0);
    const breaker = new CircuitBreaker({
      clock,
      failureThreshold: 1,
      openMs: 100,
      onStateChange: () => {
        throw new Error('metrics down');
      },
    });
    const p = acquire(breaker);
    expect(() => p.failure()).toThrow('metrics down');
    expect(breaker.tryAcquire()).toBeUndefined();
    clock.advance(100);
    expect(() => breaker.tryAcquire()).toThrow('metrics down');
    // The change happened; the caller whose look caused it got the error, not the probe.
    expect(breaker.snapshot()).toMatchObject({ state: 'half-open', probeInFlight: false });
  });

  it('opens for no time at all with openMs 0: the next look is half-open', () => {
    const { breaker } = setup({ failureThreshold: 1, openMs: 0 });
    fail(breaker, 1);
    expect(breaker.tryAcquire()).toBeDefined();
    expect(breaker.tryAcquire()).toBeUndefined();
  });

  it('rejects nonsense options', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureThreshold: 1.5 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureThreshold: Number.NaN })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureRate: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureRate: 1.01 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ minimumRequests: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ openMs: -1 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ openMs: 1_000, maxOpenMs: 999 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureRate: 0.5, windowMs: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureThreshold: Number.POSITIVE_INFINITY, failureRate: 1 })).not.toThrow();
  });
});
