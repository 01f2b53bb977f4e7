import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/index.js';
import { Balancer, type BalancerEvent, type BalancerOptions, type UpstreamSpec } from './index.js';
import { decayedEjections, ejectionMs, mayEject } from './outlier.js';
import { tally } from './testing/simulate.js';

function setup(upstreams: UpstreamSpec[], options: Partial<BalancerOptions> = {}) {
  const clock = new ManualClock();
  const events: BalancerEvent[] = [];
  const b = new Balancer(upstreams, { policy: 'round-robin', clock, passive: {}, onEvent: (e) => events.push(e), ...options });
  /** Settles `n` leases on `id` with `ok`. */
  const fail = (id: string, n: number, ok = false) => {
    for (let i = 0; i < n; i++) b.pick({ exclude: new Set(upstreams.map((u) => u.id).filter((x) => x !== id)) })!.done({ ok });
  };
  const state = (id: string) => b.snapshot().find((s) => s.id === id)!;
  return { clock, events, b, fail, state };
}
const four: UpstreamSpec[] = [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }];

describe('passive ejection (Envoy outlier detection, consecutive errors)', () => {
  it('ejects after 5 consecutive errors (the default) for 30 s, then readmits', () => {
    const { b, clock, events, fail, state } = setup(four);
    fail('a', 4);
    expect(state('a')).toMatchObject({ consecutiveErrors: 4, ejectedUntil: undefined });
    fail('a', 1);
    expect(state('a')).toMatchObject({ consecutiveErrors: 5, ejectedUntil: clock.now() + 30_000, timesEjected: 1 });
    expect(events).toEqual([{ type: 'ejected', id: 'a', at: clock.now(), until: clock.now() + 30_000 }]);
    expect(tally(b, 30)['a']).toBeUndefined();
    clock.advance(29_999);
    expect(tally(b, 30)['a']).toBeUndefined();
    clock.advance(1);
    expect(tally(b, 40)['a']).toBe(10);
    expect(events.at(-1)).toEqual({ type: 'readmitted', id: 'a', at: clock.now() });
    expect(state('a').consecutiveErrors).toBe(0);
  });

  it('resets the count on a success', () => {
    const { fail, state } = setup(four);
    fail('a', 4);
    fail('a', 1, true);
    fail('a', 4);
    expect(state('a')).toMatchObject({ consecutiveErrors: 4, ejectedUntil: undefined });
  });

  it('is off when `passive` is absent', () => {
    const { fail, state } = setup(four, { passive: undefined });
    fail('a', 100);
    expect(state('a')).toMatchObject({ consecutiveErrors: 100, ejectedUntil: undefined });
  });

  it('ejects for base × times ejected in a row, capped at 10 ×', () => {
    const { clock, fail, state } = setup(four, { passive: { consecutiveErrors: 1, baseEjectionMs: 1000 } });
    const lengths: number[] = [];
    for (let i = 0; i < 12; i++) {
      fail('a', 1);
      const until = state('a').ejectedUntil!;
      lengths.push(until - clock.now());
      clock.set(until);
    }
    expect(lengths).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10].map((n) => n * 1000));
  });

  it('forgets one ejection per base ejection time spent admitted', () => {
    const { clock, fail, state } = setup(four, { passive: { consecutiveErrors: 1, baseEjectionMs: 1000 } });
    for (let i = 0; i < 3; i++) {
      fail('a', 1);
      clock.set(state('a').ejectedUntil!);
    }
    state('a');
    clock.advance(2_500);
    fail('a', 1);
    expect(state('a')).toMatchObject({ timesEjected: 2, ejectedUntil: clock.now() + 2000 });
  });

  it('never ejects more than maxEjectionPercent of the primaries, and ejects the next once room is made', () => {
    const { b, clock, fail, state } = setup(four, { passive: { consecutiveErrors: 2, baseEjectionMs: 1000, maxEjectionPercent: 50 } });
    fail('a', 2);
    clock.advance(500);
    fail('b', 2);
    fail('c', 2);
    expect(b.snapshot().map((s) => s.ejectedUntil !== undefined)).toEqual([true, true, false, false]);
    // a returns at 1000: c's next error ejects it.
    clock.advance(500);
    fail('c', 1);
    expect(state('c').ejectedUntil).toBe(clock.now() + 1000);
    expect(state('a').ejectedUntil).toBeUndefined();
  });

  it('always lets one host be ejected, as Envoy does, even below the percentage or alone', () => {
    const low = setup([{ id: 'a' }, { id: 'b' }, { id: 'c' }], { passive: { consecutiveErrors: 1, maxEjectionPercent: 10 } });
    low.fail('a', 1);
    low.fail('b', 1);
    expect(low.b.snapshot().map((s) => s.ejectedUntil !== undefined)).toEqual([true, false, false]);
    const alone = setup([{ id: 'solo' }], { passive: { consecutiveErrors: 1 } });
    alone.fail('solo', 1);
    expect(alone.b.pick()).toBeUndefined();
  });

  it('counts backups apart from primaries, and fails over to them when primaries are ejected', () => {
    const { b, fail } = setup([{ id: 'a' }, { id: 'z', backup: true }], { passive: { consecutiveErrors: 1, maxEjectionPercent: 0 } });
    fail('a', 1);
    expect(b.pick()?.upstream).toBe('z');
  });

  it('does not eject for errors on leases settled after the host left the pool', () => {
    const { b, events } = setup(four, { passive: { consecutiveErrors: 1 } });
    const lease = b.pick()!;
    b.update(four.filter((u) => u.id !== lease.upstream));
    lease.done({ ok: false });
    expect(events).toEqual([]);
  });
});

describe('outlier arithmetic', () => {
  it('mayEject: within the percentage, or none ejected yet', () => {
    expect(mayEject(4, 0, 0)).toBe(true);
    expect(mayEject(4, 1, 50)).toBe(true);
    expect(mayEject(4, 2, 50)).toBe(false);
    expect(mayEject(10, 9, 100)).toBe(true);
  });

  it('ejectionMs and decayedEjections', () => {
    expect(ejectionMs(30_000, 1)).toBe(30_000);
    expect(ejectionMs(30_000, 25)).toBe(300_000);
    expect(decayedEjections(5, 65_000, 30_000)).toBe(3);
    expect(decayedEjections(1, 1e9, 30_000)).toBe(0);
  });
});
