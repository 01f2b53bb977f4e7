import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/index.js';
import { Balancer, type UpstreamSpec } from '../index.js';
import { shares, tally } from '../testing/simulate.js';

const ipHash = (upstreams: UpstreamSpec[]) => new Balancer(upstreams, { policy: 'ip-hash', clock: new ManualClock() });
const hosts3: UpstreamSpec[] = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
const route = (b: Balancer, key: string) => {
  const lease = b.pick({ key });
  lease?.done({ ok: true });
  return lease?.upstream;
};

/** nginx's loop written out for one IPv4 client over equal weights, as in the C source. */
function nginxIpHash(ip: string, peers: number): number {
  let hash = 89;
  for (const octet of ip.split('.').slice(0, 3).map(Number)) hash = (hash * 113 + octet) % 6271;
  return hash % peers;
}

describe('ip-hash (nginx ip_hash)', () => {
  it("uses nginx's arithmetic: the same host as nginx for the same client and servers", () => {
    const b = ipHash(hosts3);
    for (const ip of ['127.0.0.1', '10.0.0.1', '192.168.1.77', '8.8.8.8', '203.0.113.9']) {
      expect(route(b, ip)).toBe(['a', 'b', 'c'][nginxIpHash(ip, 3)]);
    }
  });

  it('sends the same client to the same host over 1000 picks', () => {
    const b = ipHash(hosts3);
    expect(Object.keys(tally(b, 1000, { request: () => ({ key: '198.51.100.23' }) }))).toHaveLength(1);
  });

  it('keeps a /24 together (the first three octets) and spreads different /24s across hosts', () => {
    const b = ipHash(hosts3);
    const home = route(b, '172.16.5.1');
    for (let last = 0; last < 256; last++) expect(route(b, `172.16.5.${last}`)).toBe(home);
    const s = shares(tally(b, 3000, { request: (i) => ({ key: `10.${i >> 8}.${i & 255}.1` }) }));
    for (const id of ['a', 'b', 'c']) expect(s[id]).toBeGreaterThan(0.25);
  });

  it('hashes IPv4-mapped IPv6 as IPv4, and all 16 bytes of IPv6', () => {
    const b = ipHash(hosts3);
    expect(route(b, '::ffff:192.0.2.1')).toBe(route(b, '192.0.2.200'));
    const v6 = new Set(Array.from({ length: 64 }, (_, i) => route(b, `2001:db8::${i.toString(16)}`)));
    expect(v6.size).toBe(3);
  });

  it('rehashes clients of an unavailable host deterministically, leaves the others, and gives them back', () => {
    const b = ipHash([{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }]);
    const ips = Array.from({ length: 400 }, (_, i) => `10.${i >> 8}.${i & 255}.1`);
    const before = ips.map((ip) => route(b, ip));
    b.setHealthy('c', false);
    const during = ips.map((ip) => route(b, ip));
    expect(ips.map((ip) => route(b, ip))).toEqual(during);
    for (let i = 0; i < ips.length; i++) {
      if (before[i] === 'c') expect(during[i]).not.toBe('c');
      else expect(during[i]).toBe(before[i]);
    }
    // The moved clients spread over the rest rather than piling onto c's neighbour.
    expect(new Set(during.filter((_, i) => before[i] === 'c')).size).toBe(3);
    b.setHealthy('c', true);
    expect(ips.map((ip) => route(b, ip))).toEqual(before);
  });

  it('walks weights like nginx: a weight-3 host gets about three times the /24s', () => {
    const b = ipHash([{ id: 'a', weight: 3 }, { id: 'b' }]);
    const s = shares(tally(b, 4000, { request: (i) => ({ key: `10.${i >> 8}.${i & 255}.1` }) }));
    expect(s['a']).toBeGreaterThan(0.7);
    expect(s['a']).toBeLessThan(0.8);
  });

  it('falls back to weighted round robin without a key', () => {
    expect(tally(ipHash([{ id: 'a', weight: 2 }, { id: 'b' }]), 30)).toEqual({ a: 20, b: 10 });
  });
});
