import { describe, expect, it } from 'vitest';
import { BASE62_ALPHABET, isBase62 } from './base62.js';
import { randomCodes } from './random-code.js';

describe('randomCodes', () => {
  it('draws every character of the alphabet about equally often', () => {
    const codes = randomCodes(10_000, 7);
    expect(codes).toHaveLength(10_000);
    expect(codes.every((c) => c.length === 7 && isBase62(c))).toBe(true);
    const counts = new Map<string, number>();
    for (const c of codes) for (const ch of c) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // 70,000 draws: ~1,129 per character, standard deviation ~33; ±300 is over 9 sigma. A modulo
    // bias (256 % 62 = 8 favoured values) would put the first 8 characters ~25% above the rest.
    for (const ch of BASE62_ALPHABET) {
      expect(counts.get(ch)).toBeGreaterThan(829);
      expect(counts.get(ch)).toBeLessThan(1429);
    }
  });

  it('returns nothing for a count of 0', () => {
    expect(randomCodes(0, 7)).toEqual([]);
  });
});
