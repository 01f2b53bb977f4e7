import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/index.js';
import { RollingWindow } from './rolling-window.js';

const T0 = Date.UTC(2026, 0, 1);

describe('RollingWindow', () => {
  it('counts each series separately within the window', () => {
    const clock = new ManualClock(T0);
    const w = new RollingWindow(clock, 1_000, 2);
    w.add(0);
    w.add(0);
    w.add(1, 5);
    clock.advance(500);
    w.add(1);
    expect(w.total(0)).toBe(2);
    expect(w.total(1)).toBe(6);
  });

  it('lets events go bucket by bucket as the window moves', () => {
    const clock = new ManualClock(T0);
    const w = new RollingWindow(clock, 10_000, 1); // ten buckets of 1 s
    for (let i = 0; i < 10; i++) {
      w.add(0, i + 1); // 1 at 0 s, 2 at 1 s ... 10 at 9 s
      clock.advance(1_000);
    }
    // Now at 10 s: the bucket of 0 s has just left the window.
    expect(w.total(0)).toBe(55 - 1);
    clock.advance(999);
    expect(w.total(0)).toBe(55 - 1);
    clock.advance(1);
    expect(w.total(0)).toBe(55 - 1 - 2);
    clock.advance(7_000); // 18 s: only the bucket of 9 s is left
    expect(w.total(0)).toBe(10);
    clock.advance(1_000);
    expect(w.total(0)).toBe(0);
  });

  it('forgets everything after a long idle gap, whatever slots the new time maps to', () => {
    const clock = new ManualClock(T0);
    const w = new RollingWindow(clock, 1_000, 1, 4);
    w.add(0, 3);
    // Exactly a whole number of windows later, the same slot comes round again.
    clock.advance(1_000 * 7);
    expect(w.total(0)).toBe(0);
    w.add(0);
    expect(w.total(0)).toBe(1);
  });

  it('keeps counting in the newest bucket when the clock steps back', () => {
    const clock = new ManualClock(T0);
    const w = new RollingWindow(clock, 1_000, 1, 10);
    clock.advance(900);
    w.add(0);
    clock.advance(-5_000);
    w.add(0);
    expect(w.total(0)).toBe(2);
    // The window moves on only once the clock is past where it had been.
    clock.set(T0 + 900 + 900);
    expect(w.total(0)).toBe(2);
    clock.set(T0 + 900 + 1_000);
    expect(w.total(0)).toBe(0);
  });

  it('works for times before the epoch too', () => {
    const clock = new ManualClock(-10_050);
    const w = new RollingWindow(clock, 1_000, 1);
    w.add(0);
    clock.advance(500);
    w.add(0);
    expect(w.total(0)).toBe(2);
    clock.advance(1_000);
    expect(w.total(0)).toBe(0);
  });

  it('resets', () => {
    const clock = new ManualClock(T0);
    const w = new RollingWindow(clock, 1_000, 2);
    w.add(0);
    w.add(1);
    w.reset();
    expect([w.total(0), w.total(1)]).toEqual([0, 0]);
    w.add(1);
    expect([w.total(0), w.total(1)]).toEqual([0, 1]);
  });

  it('agrees with a log of every event over random histories', () => {
    const step = fc.record({ advance: fc.integer({ min: 0, max: 700 }), series: fc.integer({ min: 0, max: 2 }), n: fc.integer({ min: 0, max: 3 }) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(step, { maxLength: 200 }), (buckets, steps) => {
        const windowMs = 1_000;
        const bucketMs = windowMs / buckets;
        const clock = new ManualClock(T0);
        const w = new RollingWindow(clock, windowMs, 3, buckets);
        const log: { bucket: number; series: number; n: number }[] = [];
        for (const s of steps) {
          clock.advance(s.advance);
          w.add(s.series, s.n);
          const bucket = Math.floor(clock.now() / bucketMs);
          log.push({ bucket, series: s.series, n: s.n });
          for (let series = 0; series < 3; series++) {
            const expected = log.filter((e) => e.series === series && e.bucket > bucket - buckets).reduce((a, e) => a + e.n, 0);
            if (w.total(series) !== expected) return false;
          }
        }
        return true;
      }),
      { seed: 20260101, numRuns: 200 },
    );
  });

  it('rejects nonsense', () => {
    const clock = new ManualClock(T0);
    expect(() => new RollingWindow(clock, 0, 1)).toThrow(RangeError);
    expect(() => new RollingWindow(clock, Number.POSITIVE_INFINITY, 1)).toThrow(RangeError);
    expect(() => new RollingWindow(clock, 1_000, 0)).toThrow(RangeError);
    expect(() => new RollingWindow(clock, 1_000, 1, 1.5)).toThrow(RangeError);
  });
});
