import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/index.js';
import { Balancer, type BalancerPolicyName } from './index.js';
import { seededRandom } from '../../lib/seeded-random.js';
import { tally } from './testing/simulate.js';

const WINDOW = 10_000;

function recovering(policy: BalancerPolicyName) {
  const clock = new ManualClock();
  const b = new Balancer([{ id: 'a' }, { id: 'b' }, { id: 'c' }], { policy, clock, random: seededRandom(99), slowStartMs: WINDOW });
  b.setHealthy('c', false);
  clock.advance(60_000);
  b.setHealthy('c', true);
  return { b, clock };
}

/** c's share in each tenth of the window, 1000 picks a tenth, one a millisecond. */
function sharesOverWindow(b: Balancer, clock: ManualClock): number[] {
  return Array.from({ length: 10 }, () => (tally(b, 1000, { clock, stepMs: 1 })['c'] ?? 0) / 1000);
}

describe('slow start (Envoy slow_start_config, nginx slow_start)', () => {
  for (const policy of ['weighted-round-robin', 'round-robin', 'least-connections', 'peak-ewma'] as const) {
    it(`${policy}: a recovered host's share grows with its weight, 10 % to 100 % over the window`, () => {
      const { b, clock } = recovering(policy);
      const s = sharesOverWindow(b, clock);
      // Weight f against two hosts of weight 1: a share of f / (2 + f).
      const expected = (f: number) => f / (2 + f);
      expect(s[0]).toBeLessThan(expected(0.1) + 0.03);
      expect(s[4]).toBeGreaterThan(expected(0.4) - 0.05);
      expect(s[4]).toBeLessThan(expected(0.5) + 0.05);
      expect(s[9]).toBeGreaterThan(expected(0.9) - 0.05);
      for (let i = 2; i < 10; i++) expect(s[i]).toBeGreaterThan(s[i - 2]!);
      const after = (tally(b, 3000, { clock, stepMs: 1 })['c'] ?? 0) / 3000;
      expect(Math.abs(after - 1 / 3)).toBeLessThan(0.02);
    });
  }

  it('shows the ramp in snapshot().effectiveWeight', () => {
    const clock = new ManualClock();
    const b = new Balancer([{ id: 'a', weight: 10 }], { policy: 'weighted-round-robin', clock, slowStartMs: WINDOW });
    const weight = () => b.snapshot()[0]!.effectiveWeight;
    expect(weight()).toBe(10);
    b.setHealthy('a', false);
    b.setHealthy('a', true);
    expect(weight()).toBe(1);
    clock.advance(WINDOW / 2);
    expect(weight()).toBe(5);
    clock.advance(WINDOW / 2);
    expect(weight()).toBe(10);
  });

  it('starts on readmission after an ejection, and for hosts that join through update()', () => {
    const clock = new ManualClock();
    const b = new Balancer([{ id: 'a' }, { id: 'b' }], {
      policy: 'weighted-round-robin',
      clock,
      slowStartMs: WINDOW,
      passive: { consecutiveErrors: 1, baseEjectionMs: 1000 },
    });
    b.pick({ exclude: new Set(['b']) })!.done({ ok: false });
    clock.advance(1000 + WINDOW / 4);
    // Noticed late, dated from the end of the ejection: a quarter of the window has passed.
    expect(b.snapshot()[0]).toMatchObject({ ejectedUntil: undefined, effectiveWeight: 0.25 });
    b.update([{ id: 'a' }, { id: 'b' }, { id: 'c', weight: 4 }]);
    expect(b.snapshot()[2]!.effectiveWeight).toBeCloseTo(0.4, 9);
  });

  it('is off by default: a recovered host gets its full share at once', () => {
    const clock = new ManualClock();
    const b = new Balancer([{ id: 'a' }, { id: 'b' }], { policy: 'weighted-round-robin', clock });
    b.setHealthy('b', false);
    b.setHealthy('b', true);
    expect(tally(b, 100, { clock })).toEqual({ a: 50, b: 50 });
  });

  it('does not start while the host is still ejected; it starts when both checks pass', () => {
    const clock = new ManualClock();
    const b = new Balancer([{ id: 'a' }, { id: 'b' }], { policy: 'weighted-round-robin', clock, slowStartMs: WINDOW, passive: { consecutiveErrors: 1, baseEjectionMs: 5000 } });
    b.pick({ exclude: new Set(['b']) })!.done({ ok: false });
    b.setHealthy('a', false);
    b.setHealthy('a', true);
    // Started at 0 it would be over by now; it started when the ejection ended, at 5000.
    clock.advance(5000 + WINDOW / 2);
    expect(b.snapshot()[0]!.effectiveWeight).toBe(0.5);
  });
});
