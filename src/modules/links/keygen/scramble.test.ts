import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Scrambler } from './scramble.js';

const DOMAIN_7 = 62n ** 7n;

describe('Scrambler', () => {
  const scrambler = new Scrambler('test-secret');

  it('is undone by decode and stays in [0, 62^7)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: DOMAIN_7 - 1n }), (n) => {
        const c = scrambler.encode(n);
        expect(c >= 0n && c < DOMAIN_7).toBe(true);
        expect(scrambler.decode(c)).toBe(n);
        expect(scrambler.encode(scrambler.decode(n))).toBe(n);
      }),
      { numRuns: 2000 },
    );
  });

  it('is undone by decode for long codes too (rounds on bigints; past 32 bits, two hash words per round)', () => {
    for (const length of [9, 10, 12, 21]) {
      const long = new Scrambler('test-secret', length);
      const domain = 62n ** BigInt(length);
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: domain - 1n }), (n) => {
          const c = long.encode(n);
          expect(c >= 0n && c < domain).toBe(true);
          expect(long.decode(c)).toBe(n);
        }),
        { numRuns: 300 },
      );
    }
    expect(() => new Scrambler('test-secret', 22)).toThrow(RangeError);
  });

  it('maps 100k sequential values to 100k distinct codes', () => {
    const seen = new Set<bigint>();
    for (let n = 1n; n <= 100_000n; n++) seen.add(scrambler.encode(n));
    expect(seen.size).toBe(100_000);
  });

  it('is a permutation of the whole domain for short lengths', () => {
    // L = 1 and 2: the domain (62, 3844) sits well below its 2^(2h) Feistel domain, so every value
    // is cycle-walked at least sometimes.
    for (const length of [1, 2]) {
      const small = new Scrambler('k', length);
      const size = 62 ** length;
      const images = new Set<bigint>();
      for (let n = 0n; n < BigInt(size); n++) {
        const c = small.encode(n);
        expect(c < BigInt(size)).toBe(true);
        expect(small.decode(c)).toBe(n);
        images.add(c);
      }
      expect(images.size).toBe(size);
    }
  });

  it('gives different secrets different permutations', () => {
    const other = new Scrambler('another-secret');
    const bytes = new Scrambler(Buffer.from('test-secret'));
    let same = 0;
    for (let n = 0n; n < 1000n; n++) {
      if (other.encode(n) === scrambler.encode(n)) same++;
      // A string secret and its UTF-8 bytes are the same key.
      expect(bytes.encode(n)).toBe(scrambler.encode(n));
    }
    // A random permutation agrees on a given point with probability 1 / 62^7.
    expect(same).toBe(0);
  });

  it('spreads consecutive inputs far apart', () => {
    let near = 0;
    let increasing = 0;
    let prev = scrambler.encode(0n);
    for (let n = 1n; n <= 10_000n; n++) {
      const c = scrambler.encode(n);
      const gap = c > prev ? c - prev : prev - c;
      // Random pairs land within 62^7 / 1000 of each other with probability ~0.2%.
      if (gap < DOMAIN_7 / 1000n) near++;
      if (c > prev) increasing++;
      prev = c;
    }
    expect(near).toBeLessThan(100);
    // Neither sorted nor reverse-sorted: about half the steps go up.
    expect(increasing).toBeGreaterThan(4_000);
    expect(increasing).toBeLessThan(6_000);
  });

  it('rejects values outside the domain and unusable parameters', () => {
    expect(() => scrambler.encode(-1n)).toThrow(RangeError);
    expect(() => scrambler.encode(DOMAIN_7)).toThrow(RangeError);
    expect(() => scrambler.decode(DOMAIN_7)).toThrow(RangeError);
    expect(() => new Scrambler('')).toThrow(/secret/);
    expect(() => new Scrambler('k', 0)).toThrow(RangeError);
  });
});
