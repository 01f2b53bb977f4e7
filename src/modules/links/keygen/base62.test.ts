import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE62_ALPHABET, compareBase62, decodeBase62, encodeBase62, isBase62 } from './base62.js';

const nonNegative = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });

/** Lexicographic comparison by alphabet index, i.e. what "sorting codes" should mean. */
function byAlphabet(a: string, b: string): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = BASE62_ALPHABET.indexOf(a[i] as string) - BASE62_ALPHABET.indexOf(b[i] as string);
    if (d !== 0) return Math.sign(d);
  }
  return Math.sign(a.length - b.length);
}

describe('base62', () => {
  it('uses 0-9, then a-z, then A-Z', () => {
    expect(BASE62_ALPHABET).toHaveLength(62);
    expect(new Set(BASE62_ALPHABET).size).toBe(62);
    expect(encodeBase62(0)).toBe('0');
    expect(encodeBase62(9)).toBe('9');
    expect(encodeBase62(10)).toBe('a');
    expect(encodeBase62(36)).toBe('A');
    expect(encodeBase62(61)).toBe('Z');
    expect(encodeBase62(62)).toBe('10');
    expect(encodeBase62(62n ** 7n - 1n)).toBe('ZZZZZZZ');
  });

  it('round-trips any non-negative integer, padded or not', () => {
    fc.assert(
      fc.property(nonNegative, fc.integer({ min: 0, max: 30 }), (n, minLength) => {
        const s = encodeBase62(n, minLength);
        expect(s.length).toBeGreaterThanOrEqual(minLength);
        expect(isBase62(s)).toBe(true);
        expect(decodeBase62(s)).toBe(n);
      }),
    );
  });

  it('accepts numbers as well as bigints', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(encodeBase62(n)).toBe(encodeBase62(BigInt(n)));
      }),
    );
  });

  it('decodes any base62 string to a value that re-encodes to it (minus leading zeros)', () => {
    const code = fc.string({ unit: fc.constantFrom(...BASE62_ALPHABET), minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(code, (s) => {
        expect(encodeBase62(decodeBase62(s), s.length)).toBe(s);
      }),
    );
  });

  it('never makes a larger number shorter', () => {
    fc.assert(
      fc.property(nonNegative, nonNegative, (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(encodeBase62(lo).length).toBeLessThanOrEqual(encodeBase62(hi).length);
      }),
    );
  });

  it('orders fixed-width codes like their numbers, by alphabet index', () => {
    fc.assert(
      fc.property(nonNegative, nonNegative, (a, b) => {
        const expected = a < b ? -1 : a > b ? 1 : 0;
        expect(byAlphabet(encodeBase62(a, 22), encodeBase62(b, 22))).toBe(expected);
        expect(compareBase62(encodeBase62(a), encodeBase62(b, 5))).toBe(expected);
      }),
    );
  });

  it('does not order codes by ASCII (why compareBase62 exists)', () => {
    // 'a' = 10 < 'A' = 36, yet 'A' < 'a' in UTF-16.
    expect(encodeBase62(10) > encodeBase62(36)).toBe(true);
    expect(compareBase62(encodeBase62(10), encodeBase62(36))).toBe(-1);
  });

  it('rejects what it cannot represent', () => {
    expect(() => encodeBase62(-1)).toThrow(RangeError);
    expect(() => encodeBase62(-1n)).toThrow(RangeError);
    expect(() => encodeBase62(1.5)).toThrow(RangeError);
    expect(() => encodeBase62(2 ** 53)).toThrow(RangeError);
    expect(() => decodeBase62('')).toThrow(SyntaxError);
    expect(() => decodeBase62('ab-c')).toThrow(/invalid character "-" at 2/);
    expect(isBase62('')).toBe(false);
    expect(isBase62('abc_')).toBe(false);
    expect(isBase62('é')).toBe(false);
    expect(isBase62('aZ09')).toBe(true);
  });
});
