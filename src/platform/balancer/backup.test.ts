import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/index.js';
import { Balancer, type BalancerPolicyName, type UpstreamSpec } from './index.js';
import { sequence, tally } from './testing/simulate.js';

/** nginx-tests upstream_backup.t, with setHealthy standing for servers going down and up. */
describe('backup servers (nginx `backup`)', () => {
  const make = (upstreams: UpstreamSpec[], policy: BalancerPolicyName = 'round-robin') => new Balancer(upstreams, { policy, clock: new ManualClock() });

  it('never uses the backup while a primary is available', () => {
    const b = make([{ id: 'A' }, { id: 'B' }, { id: 'C', backup: true }]);
    expect(tally(b, 100)).toEqual({ A: 50, B: 50 });
    b.setHealthy('A', false);
    expect(tally(b, 100)).toEqual({ B: 100 });
  });

  it('uses the backup when every primary is down, and two backups in round robin', () => {
    const one = make([{ id: 'A' }, { id: 'B' }, { id: 'C', backup: true }]);
    one.setHealthy('A', false);
    one.setHealthy('B', false);
    expect(tally(one, 10)).toEqual({ C: 10 });

    const two = make([{ id: 'A' }, { id: 'B' }, { id: 'C', backup: true }, { id: 'D', backup: true }]);
    two.setHealthy('A', false);
    two.setHealthy('B', false);
    expect(sequence(two, 4)).toEqual(['C', 'D', 'C', 'D']);
  });

  it('returns to a primary as soon as it comes back', () => {
    const b = make([{ id: 'A' }, { id: 'B' }, { id: 'C', backup: true }]);
    b.setHealthy('A', false);
    b.setHealthy('B', false);
    expect(sequence(b, 2)).toEqual(['C', 'C']);
    b.setHealthy('B', true);
    expect(sequence(b, 3)).toEqual(['B', 'B', 'B']);
  });

  it('applies the policy among backups too (weighted backups)', () => {
    const b = make([{ id: 'A' }, { id: 'C', backup: true, weight: 3 }, { id: 'D', backup: true }], 'weighted-round-robin');
    b.setHealthy('A', false);
    expect(tally(b, 40)).toEqual({ C: 30, D: 10 });
  });

  it('uses a backup when the primaries are busy (maxConcurrent) or already tried by this request', () => {
    const b = make([{ id: 'A' }, { id: 'C', backup: true }]);
    expect(b.pick({ exclude: new Set(['A']) })?.upstream).toBe('C');
    const limited = new Balancer([{ id: 'A' }, { id: 'C', backup: true }], { policy: 'least-connections', maxConcurrent: 1 });
    const held = limited.pick()!;
    expect(held.upstream).toBe('A');
    expect(limited.pick()?.upstream).toBe('C');
  });

  it('a pool of backups only still serves', () => {
    expect(tally(make([{ id: 'X', backup: true }]), 3)).toEqual({ X: 3 });
  });
});
