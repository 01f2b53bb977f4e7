import fc from 'fast-check';
import { isIPv4, isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ipHashBytes, parseV6 } from './ip-address.js';

const bytesOf = (key: string) => {
  const out = new Uint8Array(16);
  return [...out.subarray(0, ipHashBytes(key, out))];
};

describe('ipHashBytes', () => {
  it('takes the first three octets of IPv4, as nginx ip_hash', () => {
    expect(bytesOf('192.168.10.77')).toEqual([192, 168, 10]);
    expect(bytesOf('::ffff:192.168.10.1')).toEqual([192, 168, 10]);
    expect(bytesOf('[::ffff:c0a8:0a01]')).toEqual([192, 168, 10]);
  });

  it('takes all sixteen bytes of IPv6, brackets and zone ignored', () => {
    expect(bytesOf('2001:db8::1')).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(bytesOf('[fe80::1%eth0]')).toEqual(bytesOf('fe80::1'));
    expect(bytesOf('::')).toEqual(new Array(16).fill(0));
  });

  it('hashes anything else to four bytes', () => {
    expect(bytesOf('not-an-ip')).toHaveLength(4);
    expect(bytesOf('256.1.1.1')).toHaveLength(4);
    expect(bytesOf('01.1.1.1')).toHaveLength(4);
    expect(bytesOf('')).toHaveLength(4);
  });

  it('reads every IPv6 address in every text form the WHATWG URL parser writes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 8 }), (bytes, zeros) => {
        bytes.fill(0, 0, zeros * 2);
        const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));
        const full = groups.join(':');
        const canonical = new URL(`http://[${full}]/`).hostname.slice(1, -1);
        for (const text of [full, canonical, full.toUpperCase()]) {
          const out = new Uint8Array(16);
          expect(parseV6(text, 0, text.length, out), text).toBe(true);
          expect([...out]).toEqual([...bytes]);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts exactly what node:net accepts', () => {
    const text = fc.string({ unit: fc.constantFrom('0', '1', 'f', 'F', 'g', ':', '.', '2', '5', '9'), maxLength: 24 });
    fc.assert(
      fc.property(text, (s) => {
        expect(parseV6(s, 0, s.length, new Uint8Array(16)), s).toBe(isIPv6(s));
        expect(bytesOf(s).length === 3 && !s.includes(':'), s).toBe(isIPv4(s));
      }),
      { numRuns: 20_000 },
    );
    for (const s of ['1::2::3', ':1::2', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', '::1.2.3.4', '1::1.2.3', '12345::', '1:2:3:4:5:6:1.2.3.4']) {
      expect(parseV6(s, 0, s.length, new Uint8Array(16)), s).toBe(isIPv6(s));
    }
  });
});
