import { describe, expect, it } from 'vitest';
import { decorrelatedJitter, isIdempotent, type DelaySequence } from './retry.js';
import { seededRandom as prng } from '../../lib/seeded-random.js';

function take(delays: DelaySequence, n: number): number[] {
  return Array.from({ length: n }, () => delays.next());
}

describe('decorrelatedJitter', () => {
  it('keeps every delay within [base, min(cap, 3 × previous)] over many samples', () => {
    const baseMs = 10;
    const capMs = 2_000;
    const violations: string[] = [];
    let low = Number.POSITIVE_INFINITY;
    let high = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const seq = take(decorrelatedJitter({ baseMs, capMs, random: prng(seed) }), 50);
      let prev = baseMs;
      for (const [i, d] of seq.entries()) {
        if (!(d >= baseMs && d <= Math.min(capMs, prev * 3))) violations.push(`seed ${seed} #${i}: ${d} after ${prev}`);
        low = Math.min(low, d);
        high = Math.max(high, d);
        prev = d;
      }
    }
    expect(violations).toEqual([]);
    // The range is used, not just respected: delays reach the cap and come back near the base.
    expect(high).toBe(capMs);
    expect(low).toBeLessThan(baseMs * 1.1);
  });

  it('draws the first delay uniformly from [base, 3 × base)', () => {
    const random = prng(42);
    const firsts = Array.from({ length: 10_000 }, () => decorrelatedJitter({ baseMs: 100, capMs: 10_000, random }).next());
    expect(Math.min(...firsts)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...firsts)).toBeLessThan(300);
    const mean = firsts.reduce((a, b) => a + b, 0) / firsts.length;
    // Uniform on [100, 300): mean 200, standard error of the mean about 0.6.
    expect(mean).toBeGreaterThan(195);
    expect(mean).toBeLessThan(205);
    const lowerHalf = firsts.filter((d) => d < 200).length;
    expect(lowerHalf).toBeGreaterThan(4_700);
    expect(lowerHalf).toBeLessThan(5_300);
  });

  it('follows the formula exactly at the ends of random’s range', () => {
    expect(take(decorrelatedJitter({ baseMs: 10, capMs: 1_000, random: () => 0 }), 4)).toEqual([10, 10, 10, 10]);
    // random → 1 triples each delay until the cap holds it.
    expect(take(decorrelatedJitter({ baseMs: 10, capMs: 1_000, random: () => 1 }), 6)).toEqual([30, 90, 270, 810, 1_000, 1_000]);
    // From the cap the next draw may fall back anywhere down to the base.
    const draws = [1, 1, 1, 1, 1, 0.1];
    const fromCap = take(decorrelatedJitter({ baseMs: 10, capMs: 1_000, random: () => draws.shift()! }), 6);
    expect(fromCap.at(-1)).toBeCloseTo(10 + 0.1 * (3_000 - 10), 9);
  });

  it('sticks to the base when cap equals base', () => {
    expect(take(decorrelatedJitter({ baseMs: 50, capMs: 50, random: prng(7) }), 20).every((d) => d === 50)).toBe(true);
  });

  it('gives independent sequences to separate calls', () => {
    const random = prng(3);
    const a = take(decorrelatedJitter({ baseMs: 10, capMs: 1_000, random }), 5);
    const b = take(decorrelatedJitter({ baseMs: 10, capMs: 1_000, random }), 5);
    expect(a).not.toEqual(b);
    expect(b[0]).toBeLessThan(30);
  });

  it('rejects nonsense options', () => {
    expect(() => decorrelatedJitter({ baseMs: 0, capMs: 10 })).toThrow(RangeError);
    expect(() => decorrelatedJitter({ baseMs: Number.NaN, capMs: 10 })).toThrow(RangeError);
    expect(() => decorrelatedJitter({ baseMs: 10, capMs: 9 })).toThrow(RangeError);
    expect(() => decorrelatedJitter({ baseMs: 10, capMs: Number.POSITIVE_INFINITY })).toThrow(RangeError);
  });
});

describe('isIdempotent', () => {
  it('says yes for the idempotent methods of RFC 9110 §9.2.2', () => {
    for (const m of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']) expect(isIdempotent(m), m).toBe(true);
  });

  it('says no for POST, PATCH, CONNECT and unknown methods', () => {
    for (const m of ['POST', 'PATCH', 'CONNECT', 'PROPFIND', '', 'get', 'Put']) expect(isIdempotent(m), m).toBe(false);
  });
});
