import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/index.js';
import { Balancer, type BalancerEvent, type BalancerOptions, type UpstreamSpec } from './index.js';
import { sequence, tally } from './testing/simulate.js';

const rr = (upstreams: UpstreamSpec[], options: Partial<BalancerOptions> = {}) => new Balancer(upstreams, { policy: 'round-robin', clock: new ManualClock(), ...options });

describe('Balancer validation', () => {
  it('rejects empty ids, duplicate ids and weights outside the integers 1..1000 with a RangeError', () => {
    const bad: unknown[][] = [[{ id: '' }], [{ id: 'a' }, { id: 'a' }], [{ id: 'a', weight: 0 }], [{ id: 'a', weight: 1001 }], [{ id: 'a', weight: 1.5 }], [{ id: 'a', weight: Number.NaN }], [{}], [null]];
    for (const upstreams of bad) expect(() => rr(upstreams as UpstreamSpec[]), JSON.stringify(upstreams)).toThrow(RangeError);
    expect(() => rr([{ id: 'a' }, { id: 'a' }])).toThrow(/duplicate upstream id "a"/);
    expect(() => rr([{ id: 'a', weight: 1000 }, { id: 'b', weight: 1 }])).not.toThrow();
  });

  it('rejects an unknown policy and bad options with a RangeError naming them', () => {
    expect(() => new Balancer([], { policy: 'random' as 'round-robin' })).toThrow(/unknown balancer policy "random"/);
    const bad: Partial<BalancerOptions>[] = [
      { maxConcurrent: 0 },
      { slowStartMs: -1 },
      { ewmaDecayMs: 0 },
      { vnodes: 0 },
      { passive: { consecutiveErrors: 0 } },
      { passive: { maxEjectionPercent: 101 } },
      { passive: { baseEjectionMs: 0 } },
    ];
    for (const options of bad) expect(() => rr([], options), JSON.stringify(options)).toThrow(RangeError);
    expect(() => rr([], { maxConcurrent: 0 })).toThrow(/maxConcurrent/);
  });

  it('leaves the pool as it was when update() throws', () => {
    const b = rr([{ id: 'a' }, { id: 'b' }]);
    expect(() => b.update([{ id: 'c' }, { id: 'c' }])).toThrow(RangeError);
    expect(b.snapshot().map((s) => s.id)).toEqual(['a', 'b']);
  });
});

describe('Balancer membership (update)', () => {
  it('keeps the state of hosts that stay: in-flight leases, health, ejection, errors', () => {
    const clock = new ManualClock();
    const b = rr([{ id: 'a' }, { id: 'b' }, { id: 'c' }], { clock, passive: { consecutiveErrors: 2 } });
    const held = [b.pick()!, b.pick()!];
    b.setHealthy('b', false);
    b.pick({ exclude: new Set(['b']) })!.done({ ok: false });
    b.update([{ id: 'c' }, { id: 'b', weight: 3 }, { id: 'a', backup: true }, { id: 'd' }]);
    const state = Object.fromEntries(b.snapshot().map((s) => [s.id, s]));
    expect(Object.keys(state)).toEqual(['c', 'b', 'a', 'd']);
    expect(state['a']).toMatchObject({ inFlight: 1, backup: true, healthy: true });
    expect(state['b']).toMatchObject({ inFlight: 1, weight: 3, healthy: false });
    expect(state['c']).toMatchObject({ consecutiveErrors: 1, picks: 1 });
    expect(state['d']).toMatchObject({ inFlight: 0, healthy: true, picks: 0 });
    for (const lease of held) lease.done({ ok: true });
    expect(b.snapshot().map((s) => s.inFlight)).toEqual([0, 0, 0, 0]);
  });

  it('drops removed hosts at once; their leases settle harmlessly; a returning id starts afresh', () => {
    const b = rr([{ id: 'a' }, { id: 'b' }]);
    const onA = b.pick()!;
    expect(onA.upstream).toBe('a');
    b.update([{ id: 'b' }]);
    expect(tally(b, 5)).toEqual({ b: 5 });
    onA.done({ ok: false });
    b.update([{ id: 'b' }, { id: 'a' }]);
    expect(b.snapshot()[1]).toMatchObject({ id: 'a', inFlight: 0, picks: 0, consecutiveErrors: 0 });
  });

  it('keeps maxConcurrent accounting right across updates', () => {
    const b = new Balancer([{ id: 'a' }, { id: 'b' }], { policy: 'least-connections', maxConcurrent: 1 });
    const leases = [b.pick()!, b.pick()!];
    expect(b.pick()).toBeUndefined();
    b.update([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    expect(b.pick()?.upstream).toBe('c');
    expect(b.pick()).toBeUndefined();
    leases[0]!.done({ ok: true });
    expect(b.pick()?.upstream).toBe(leases[0]!.upstream);
  });
});

describe('Balancer leases, health and snapshot', () => {
  it('holds a host at maxConcurrent until a lease on it is done', () => {
    const b = rr([{ id: 'a' }, { id: 'b' }], { maxConcurrent: 2 });
    const leases = Array.from({ length: 4 }, () => b.pick()!);
    expect(b.pick()).toBeUndefined();
    expect(b.snapshot().map((s) => s.inFlight)).toEqual([2, 2]);
    leases[0]!.done({ ok: true });
    expect(sequence(b, 3)).toEqual(['a', 'a', 'a']);
  });

  it('measures latency from the pick when the caller gives none, and takes the given one otherwise', () => {
    const clock = new ManualClock();
    const b = rr([{ id: 'a' }], { clock });
    const lease = b.pick()!;
    clock.advance(42);
    lease.done({ ok: true });
    expect(b.snapshot()[0]!.ewmaMs).toBe(42);
    b.pick()!.done({ ok: true, latencyMs: 100 });
    expect(b.snapshot()[0]!.ewmaMs).toBe(100);
    b.pick()!.done({ ok: true, latencyMs: -5 });
    expect(b.snapshot()[0]!.ewmaMs).toBe(100);
  });

  it('reports every field of a host', () => {
    const clock = new ManualClock(1_000_000);
    const b = rr([{ id: 'a', weight: 7 }, { id: 'z', backup: true }], { clock });
    const held = b.pick()!;
    expect(b.snapshot()).toEqual([
      { id: 'a', weight: 7, backup: false, healthy: true, ejectedUntil: undefined, effectiveWeight: 7, inFlight: 1, ewmaMs: undefined, consecutiveErrors: 0, timesEjected: 0, picks: 1 },
      { id: 'z', weight: 1, backup: true, healthy: true, ejectedUntil: undefined, effectiveWeight: 1, inFlight: 0, ewmaMs: undefined, consecutiveErrors: 0, timesEjected: 0, picks: 0 },
    ]);
    held.done({ ok: true });
  });

  it('tells of health changes once each, and ignores hosts it does not know', () => {
    const clock = new ManualClock(5);
    const events: BalancerEvent[] = [];
    const b = rr([{ id: 'a' }], { clock, onEvent: (e) => events.push(e) });
    b.setHealthy('a', true);
    b.setHealthy('a', false);
    b.setHealthy('a', false);
    b.setHealthy('a', true);
    b.setHealthy('gone', false);
    expect(events).toEqual([
      { type: 'unhealthy', id: 'a', at: 5 },
      { type: 'healthy', id: 'a', at: 5 },
    ]);
  });

  it('ignores the key under policies that do not hash', () => {
    expect(sequence(rr([{ id: 'a' }, { id: 'b' }]), 4, { key: '1.2.3.4' })).toEqual(['a', 'b', 'a', 'b']);
  });
});
