import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/index.js';
import { Balancer, type UpstreamSpec } from '../index.js';
import { sequence } from '../testing/simulate.js';

const wrr = (upstreams: UpstreamSpec[]) => new Balancer(upstreams, { policy: 'weighted-round-robin', clock: new ManualClock() });

describe('weighted-round-robin (nginx smooth weighted round robin)', () => {
  it('interleaves weights 5, 1, 1 as a a b a c a a, cycle after cycle', () => {
    const cycle = ['a', 'a', 'b', 'a', 'c', 'a', 'a'];
    expect(sequence(wrr([{ id: 'a', weight: 5 }, { id: 'b' }, { id: 'c' }]), 21)).toEqual([...cycle, ...cycle, ...cycle]);
  });

  it('gives weights 2, 1 the pattern a b a', () => {
    expect(sequence(wrr([{ id: 'a', weight: 2 }, { id: 'b' }]), 6)).toEqual(['a', 'b', 'a', 'a', 'b', 'a']);
  });

  it('leaves an unavailable host out of the round: the others share its turns by weight', () => {
    const b = wrr([{ id: 'a', weight: 3 }, { id: 'b', weight: 2 }, { id: 'c', weight: 1 }]);
    b.setHealthy('a', false);
    expect(sequence(b, 6)).toEqual(['b', 'c', 'b', 'b', 'c', 'b']);
  });

  it('follows a weight changed by update()', () => {
    const b = wrr([{ id: 'a' }, { id: 'b' }]);
    sequence(b, 2);
    b.update([{ id: 'a', weight: 3 }, { id: 'b' }]);
    const seq = sequence(b, 8);
    expect(seq.filter((x) => x === 'a')).toHaveLength(6);
  });
});
