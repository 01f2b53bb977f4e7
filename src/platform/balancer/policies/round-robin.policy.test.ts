import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/index.js';
import { Balancer, type UpstreamSpec } from '../index.js';
import { sequence, tally } from '../testing/simulate.js';

const rr = (upstreams: UpstreamSpec[]) => new Balancer(upstreams, { policy: 'round-robin', clock: new ManualClock() });

describe('round-robin', () => {
  it("alternates A, B, A, B (nginx-tests upstream.t 'balanced': 30 requests, 15 each)", () => {
    const b = rr([{ id: 'A' }, { id: 'B' }]);
    const seq = sequence(b, 30);
    expect(seq.slice(0, 4)).toEqual(['A', 'B', 'A', 'B']);
    expect(tally(rr([{ id: 'A' }, { id: 'B' }]), 30)).toEqual({ A: 15, B: 15 });
  });

  it("skips a down host (upstream.t 'server down') and takes it back in turn", () => {
    const b = rr([{ id: 'A' }, { id: 'B' }, { id: 'C' }]);
    b.setHealthy('B', false);
    expect(sequence(b, 4)).toEqual(['A', 'C', 'A', 'C']);
    b.setHealthy('B', true);
    expect(sequence(b, 3).sort()).toEqual(['A', 'B', 'C']);
  });

  it('ignores weights: strict order', () => {
    expect(sequence(rr([{ id: 'a', weight: 5 }, { id: 'b' }, { id: 'c' }]), 6)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('keeps its order when a request excludes a host', () => {
    const b = rr([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    expect(b.pick({ exclude: new Set(['a']) })?.upstream).toBe('b');
    expect(sequence(b, 3)).toEqual(['c', 'a', 'b']);
  });
});

describe('round-robin across health changes', () => {
  it('resumes after the last host picked when another goes down or comes back', () => {
    const b = rr([{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }]);
    expect(sequence(b, 2)).toEqual(['a', 'b']);
    b.setHealthy('a', false);
    expect(sequence(b, 3)).toEqual(['c', 'd', 'b']);
    b.setHealthy('c', false);
    expect(sequence(b, 1)).toEqual(['d']);
    b.setHealthy('a', true);
    expect(sequence(b, 3)).toEqual(['a', 'b', 'd']);
  });
});
