import { describe, expect, it } from 'vitest';
import { MAX_INSTANT_MS, nonFiniteNumberAt, parseInstant } from './index.js';

describe('parseInstant', () => {
  it('reads RFC 3339 date-times and calendar dates of years 1970-9999', () => {
    expect(parseInstant('2027-01-02T03:04:05Z')).toBe(Date.UTC(2027, 0, 2, 3, 4, 5));
    expect(parseInstant('2027-01-02T03:04:05.123456+02:00')).toBe(Date.UTC(2027, 0, 2, 1, 4, 5, 123));
    expect(parseInstant('2027-01-02 03:04:05z')).toBe(Date.UTC(2027, 0, 2, 3, 4, 5));
    expect(parseInstant('2028-02-29')).toBe(Date.UTC(2028, 1, 29));
    expect(parseInstant('1970-01-01T00:00:00Z')).toBe(0);
    expect(parseInstant('9999-12-31T23:59:59.999Z')).toBe(MAX_INSTANT_MS);
  });

  it('refuses expanded years, impossible days and times, other forms, and instants out of range', () => {
    for (const bad of ['+010000-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z', '-000001-01-01', '10000-01-01', '2027-02-29', '2027-04-31', '2027-13-01', '2027-00-10',
      '2027-01-01T24:00:00Z', '2027-01-01T10:60:00Z', '2027-01-01T10:00:00', '2027-01-01T10:00:00+24:00', '1969-12-31T23:59:59Z', '9999-12-31T23:59:59-01:00',
      'tomorrow', 'Jan 1 2027', '', 'Infinity', '2027-01-01T00:00:00Z ', `2027-01-01T00:00:00.${'1'.repeat(40)}Z`]) {
      expect(parseInstant(bad), bad).toBeNull();
    }
  });
});

describe('nonFiniteNumberAt', () => {
  it('finds Infinity and NaN at any depth, and nothing in finite data', () => {
    expect(nonFiniteNumberAt({ a: [1, { b: 2 }], c: 'x', d: null })).toBeNull();
    expect(nonFiniteNumberAt(Infinity)).toBe('/');
    expect(nonFiniteNumberAt({ limit: Number.POSITIVE_INFINITY })).toBe('/limit');
    expect(nonFiniteNumberAt({ a: [1, { b: Number.NaN }] })).toBe('/a/1/b');
  });

  it('walks deeply nested bodies without overflowing the stack', () => {
    let deep: unknown = -Infinity;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(nonFiniteNumberAt(deep)).toMatch(/^(\/0){100000}$/);
  });
});
