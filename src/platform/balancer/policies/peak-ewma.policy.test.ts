import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/index.js';
import { Balancer, type UpstreamSpec } from '../index.js';
import { seededRandom } from '../../../lib/seeded-random.js';
import { shares, tally } from '../testing/simulate.js';
import { Upstream } from '../upstream.js';

const ewma = (upstreams: UpstreamSpec[], clock = new ManualClock()) =>
  new Balancer(upstreams, { policy: 'peak-ewma', clock, random: seededRandom(3), ewmaDecayMs: 10_000 });

describe('peak-ewma (Finagle / linkerd)', () => {
  it('sends fewer requests to a slow host', () => {
    const clock = new ManualClock();
    const b = ewma([{ id: 'fast1' }, { id: 'fast2' }, { id: 'slow' }], clock);
    const latency: Record<string, number> = { fast1: 10, fast2: 12, slow: 200 };
    const s = shares(tally(b, 20_000, { clock, stepMs: 1, latencyOf: (id) => latency[id]! }));
    expect(s['slow']).toBeLessThan(0.02);
    // Between the two fast ones the faster wins every pair they make together.
    expect(s['fast1']).toBeGreaterThan(0.6);
    expect(s['fast2']).toBeGreaterThan(0.3);
  });

  it('weighs latency by requests in flight: an equally fast but loaded host loses', () => {
    const clock = new ManualClock();
    const b = ewma([{ id: 'a' }, { id: 'b' }], clock);
    tally(b, 100, { clock, latencyOf: () => 10 });
    const held = Array.from({ length: 10 }, () => b.pick({ exclude: new Set(['b']) })!);
    expect(tally(b, 100, { clock, latencyOf: () => 10 })).toEqual({ b: 100 });
    for (const lease of held) lease.done({ ok: true, latencyMs: 10 });
  });

  it('tries a host with no samples yet (a newcomer costs what the other candidate does)', () => {
    const clock = new ManualClock();
    const b = ewma([{ id: 'a' }, { id: 'b' }], clock);
    tally(b, 200, { clock, latencyOf: () => 50 });
    b.update([{ id: 'a' }, { id: 'b' }, { id: 'new' }]);
    const counts = tally(b, 300, { clock, latencyOf: () => 50 });
    expect(counts['new']).toBeGreaterThan(60);
  });

  it('probes a once-slow host again as its estimate decays', () => {
    const clock = new ManualClock();
    const b = ewma([{ id: 'a' }, { id: 'b' }], clock);
    const latency: Record<string, number> = { a: 10, b: 500 };
    tally(b, 200, { clock, latencyOf: (id) => latency[id]! });
    latency['b'] = 10;
    // 500 ms decays below 10 ms after 10 s × ln 50 ≈ 39 s; b is then picked, and stays cheap.
    const counts = tally(b, 60_000, { clock, stepMs: 1, latencyOf: (id) => latency[id]! });
    expect(counts['b']).toBeGreaterThan(10_000);
  });
});

describe('peak EWMA estimate (Upstream.observe)', () => {
  const decay = 10_000;

  it('takes a peak at once and lets lower samples in by recency', () => {
    const h = new Upstream('h', 1, false);
    expect(h.latencyAt(0, decay)).toBe(-1);
    h.observe(20, 0, decay);
    expect(h.latencyAt(0, decay)).toBe(20);
    h.observe(100, 1, decay);
    expect(h.latencyAt(1, decay)).toBe(100);
    // 10 s later (one time constant) a 10 ms sample: 100 × e^-1 + 10 × (1 - e^-1).
    h.observe(10, 10_001, decay);
    expect(h.latencyAt(10_001, decay)).toBeCloseTo(100 * Math.exp(-1) + 10 * (1 - Math.exp(-1)), 9);
  });

  it('decays towards zero while no response arrives, however often it is read', () => {
    const h = new Upstream('h', 1, false);
    h.observe(100, 0, decay);
    for (let t = 0; t <= 20_000; t += 1000) h.latencyAt(t, decay);
    expect(h.latencyAt(20_000, decay)).toBeCloseTo(100 * Math.exp(-2), 9);
  });

  it('ignores a lower sample at the same instant (no time passed, no weight), unlike a higher one', () => {
    const h = new Upstream('h', 1, false);
    h.observe(50, 0, decay);
    h.observe(5, 0, decay);
    expect(h.latencyAt(0, decay)).toBe(50);
  });
});
