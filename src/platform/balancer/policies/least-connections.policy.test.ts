import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/index.js';
import { Balancer, type Lease, type UpstreamSpec } from '../index.js';
import { seededRandom } from '../../../lib/seeded-random.js';
import { shares, tally } from '../testing/simulate.js';

const lc = (upstreams: UpstreamSpec[], seed = 1) => new Balancer(upstreams, { policy: 'least-connections', clock: new ManualClock(), random: seededRandom(seed) });

/** Holds `n` leases on `id` by excluding every other host. */
function hold(b: Balancer, id: string, n: number, others: string[]): Lease[] {
  const exclude = new Set(others);
  return Array.from({ length: n }, () => {
    const lease = b.pick({ exclude })!;
    expect(lease.upstream).toBe(id);
    return lease;
  });
}

describe('least-connections (Envoy LEAST_REQUEST)', () => {
  it('prefers the idle host while the other holds requests (nginx-tests upstream_least_conn.t)', () => {
    const b = lc([{ id: 'A' }, { id: 'B' }]);
    const busy = hold(b, 'A', 3, ['B']);
    expect(tally(b, 100)).toEqual({ B: 100 });
    for (const lease of busy) lease.done({ ok: true });
    const counts = tally(b, 1000);
    expect(counts['A']).toBeGreaterThan(400);
    expect(counts['B']).toBeGreaterThan(400);
  });

  it('breaks ties at random, both ways', () => {
    const b = lc([{ id: 'A' }, { id: 'B' }], 42);
    const first = Array.from({ length: 50 }, () => {
      const lease = b.pick()!;
      lease.done({ ok: true });
      return lease.upstream;
    });
    expect(new Set(first)).toEqual(new Set(['A', 'B']));
  });

  it('compares the two candidates only: a host with fewer in flight than one other still gets picked', () => {
    // A: 5 in flight, B: 1, C: 0. P2C never picks A while it is the busiest of any pair.
    const b = lc([{ id: 'A' }, { id: 'B' }, { id: 'C' }]);
    const leases = [...hold(b, 'A', 5, ['B', 'C']), ...hold(b, 'B', 1, ['A', 'C'])];
    const counts = tally(b, 3000);
    expect(counts['A']).toBeUndefined();
    // Pairs {A,B} go to B, {A,C} and {B,C} to C: B a third, C two thirds.
    expect(shares(counts)['B']).toBeCloseTo(1 / 3, 1);
    for (const lease of leases) lease.done({ ok: true });
  });

  it('with unequal weights, weighs each host by weight / (in flight + 1) (Envoy, active_request_bias 1)', () => {
    const b = lc([{ id: 'A', weight: 3 }, { id: 'B', weight: 1 }]);
    // A holding 2: 3 / 3 = 1 against B's 1 / 1: an even split.
    const leases = hold(b, 'A', 2, ['B']);
    const s = shares(tally(b, 10_000));
    expect(s['A']).toBeCloseTo(0.5, 2);
    for (const lease of leases) lease.done({ ok: true });
    expect(shares(tally(b, 10_000))['A']).toBeCloseTo(0.75, 2);
  });
});
