import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/index.js';
import { Balancer, HashRing, type UpstreamSpec } from '../index.js';
import { shares, tally } from '../testing/simulate.js';

const ch = (upstreams: UpstreamSpec[]) => new Balancer(upstreams, { policy: 'consistent-hash', clock: new ManualClock() });
const route = (b: Balancer, key: string) => {
  const lease = b.pick({ key });
  lease?.done({ ok: true });
  return lease?.upstream;
};
const keys = Array.from({ length: 5000 }, (_, i) => `user:${i}`);

describe('consistent-hash (Envoy RING_HASH)', () => {
  it('routes every key as a HashRing of the same members does', () => {
    const b = ch([{ id: 'a' }, { id: 'b', weight: 2 }, { id: 'c' }]);
    const ring = new HashRing();
    ring.add('a');
    ring.add('b', 2);
    ring.add('c');
    for (const key of keys.slice(0, 1000)) expect(route(b, key)).toBe(ring.lookup(key));
  });

  it('sends the keys of an unavailable host to the next distinct host clockwise, and only those', () => {
    const b = ch([{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }]);
    const ring = new HashRing();
    for (const id of ['a', 'b', 'c', 'd']) ring.add(id);
    const before = keys.map((k) => route(b, k));
    b.setHealthy('b', false);
    keys.forEach((k, i) => {
      expect(route(b, k)).toBe(before[i] === 'b' ? ring.lookupN(k, 2)[1] : before[i]);
    });
    b.setHealthy('b', true);
    expect(keys.map((k) => route(b, k))).toEqual(before);
  });

  it('skips a host the request excludes the same way (a retry goes to the next replica)', () => {
    const b = ch([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    const ring = new HashRing();
    for (const id of ['a', 'b', 'c']) ring.add(id);
    for (const k of keys.slice(0, 200)) {
      const [first, second] = ring.lookupN(k, 2);
      expect(b.pick({ key: k, exclude: new Set([first!]) })?.upstream).toBe(second);
    }
  });

  it('gives keys in proportion to weight', () => {
    const s = shares(tally(ch([{ id: 'a', weight: 3 }, { id: 'b' }]), 20_000, { request: (i) => ({ key: `k${i}` }) }));
    expect(s['a']).toBeGreaterThan(0.7);
    expect(s['a']).toBeLessThan(0.8);
  });

  it('moves about a fifth of the keys, all to the newcomer, when update() adds a fifth host', () => {
    const four = ['a', 'b', 'c', 'd'].map((id) => ({ id }));
    const b = ch(four);
    const before = keys.map((k) => route(b, k));
    b.update([...four, { id: 'e' }]);
    const after = keys.map((k) => route(b, k));
    const moved = after.filter((id, i) => id !== before[i]);
    expect(moved.every((id) => id === 'e')).toBe(true);
    expect(moved.length / keys.length).toBeGreaterThan(0.15);
    expect(moved.length / keys.length).toBeLessThan(0.25);
  });

  it('falls back to weighted round robin without a key', () => {
    expect(tally(ch([{ id: 'a', weight: 2 }, { id: 'b' }]), 30)).toEqual({ a: 20, b: 10 });
  });
});
