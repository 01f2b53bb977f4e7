import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/index.js';
import { seededRandom } from '../../lib/seeded-random.js';
import { sequence, tally } from './testing/simulate.js';
import { Balancer, type BalancerOptions, type BalancerPolicyName, type Lease, type UpstreamSpec } from './index.js';

/** The distinct hosts `n` picks reach, with a different client key each time. */
function reached(b: Balancer, n: number, exclude?: ReadonlySet<string>): Set<string> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const lease = b.pick({ key: `10.${i % 256}.${(i * 7) % 256}.1`, ...(exclude ? { exclude } : {}) });
    seen.add(lease?.upstream ?? '(none)');
    lease?.done({ ok: true });
  }
  return seen;
}

/**
 * What every policy promises about availability, whatever its algorithm: only available hosts
 * are picked, backups only when no primary is, exclusions and concurrency limits hold. Run by
 * balancer.contract.test.ts for each policy, keyed and unkeyed picks alike.
 */
export function runBalancerContract(policy: BalancerPolicyName): void {
  const make = (upstreams: UpstreamSpec[], options: Partial<BalancerOptions> = {}) =>
    new Balancer(upstreams, { policy, clock: new ManualClock(), random: seededRandom(7), ...options });
  const abc: UpstreamSpec[] = [{ id: 'a' }, { id: 'b', weight: 2 }, { id: 'c' }];

  describe(`${policy} (balancer contract)`, () => {
    it('reaches every host, with and without a key', () => {
      expect(reached(make(abc), 300)).toEqual(new Set(['a', 'b', 'c']));
      expect(new Set(sequence(make(abc), 30))).toEqual(new Set(['a', 'b', 'c']));
    });

    it('never picks an unhealthy host, and none when all are down', () => {
      const b = make(abc);
      b.setHealthy('b', false);
      expect(reached(b, 300)).toEqual(new Set(['a', 'c']));
      b.setHealthy('a', false);
      b.setHealthy('c', false);
      expect(b.pick()).toBeUndefined();
      expect(b.pick({ key: '1.2.3.4' })).toBeUndefined();
      b.setHealthy('b', true);
      expect(reached(b, 50)).toEqual(new Set(['b']));
    });

    it('uses backups only when no primary is available, and primaries again when they return', () => {
      const b = make([{ id: 'a' }, { id: 'b' }, { id: 'x', backup: true }, { id: 'y', backup: true }]);
      expect(reached(b, 300)).toEqual(new Set(['a', 'b']));
      b.setHealthy('a', false);
      expect(reached(b, 300)).toEqual(new Set(['b']));
      b.setHealthy('b', false);
      expect(reached(b, 300)).toEqual(new Set(['x', 'y']));
      b.setHealthy('b', true);
      expect(reached(b, 300)).toEqual(new Set(['b']));
    });

    it('skips excluded hosts, falling back to backups, then to nothing', () => {
      const b = make([...abc, { id: 'z', backup: true }]);
      expect(reached(b, 300, new Set(['a']))).toEqual(new Set(['b', 'c']));
      expect(reached(b, 50, new Set(['a', 'b', 'c']))).toEqual(new Set(['z']));
      expect(reached(b, 50, new Set(['a', 'b', 'c', 'z']))).toEqual(new Set(['(none)']));
    });

    it('does not pick a host holding maxConcurrent leases until one is done', () => {
      const b = make([{ id: 'a' }, { id: 'b' }], { maxConcurrent: 2 });
      const held: Lease[] = [];
      for (let i = 0; i < 4; i++) held.push(b.pick({ key: `10.0.${i}.1` })!);
      expect(held.map((l) => l.upstream).sort()).toEqual(['a', 'a', 'b', 'b']);
      expect(b.pick()).toBeUndefined();
      expect(b.pick({ key: '10.0.0.1' })).toBeUndefined();
      held.find((l) => l.upstream === 'b')!.done({ ok: true });
      expect(reached(b, 1)).toEqual(new Set(['b']));
    });

    it('does not pick an ejected host until its ejection ends', () => {
      const clock = new ManualClock();
      const b = make(abc, { clock, passive: { consecutiveErrors: 1, baseEjectionMs: 1000 } });
      const counts = tally(b, 300, { request: (i) => ({ key: `10.0.${i % 256}.9` }), ok: (id) => id !== 'c', clock, stepMs: 0 });
      expect(counts['c']).toBe(1);
      expect(b.snapshot().find((s) => s.id === 'c')?.ejectedUntil).toBe(clock.now() + 1000);
      clock.advance(1000);
      expect(reached(b, 300)).toEqual(new Set(['a', 'b', 'c']));
    });

    it('settles a lease once, however often done() is called', () => {
      const b = make(abc);
      const lease = b.pick({ key: '10.1.2.3' })!;
      const inFlight = () => b.snapshot().find((s) => s.id === lease.upstream)!.inFlight;
      expect(inFlight()).toBe(1);
      lease.done({ ok: true });
      lease.done({ ok: false });
      expect(inFlight()).toBe(0);
      expect(b.snapshot().find((s) => s.id === lease.upstream)!.consecutiveErrors).toBe(0);
    });

    it('answers undefined for an empty pool, and serves hosts added later', () => {
      const b = make([]);
      expect(b.pick()).toBeUndefined();
      expect(b.pick({ key: '1.2.3.4' })).toBeUndefined();
      b.update(abc);
      expect(reached(b, 300)).toEqual(new Set(['a', 'b', 'c']));
    });
  });
}
