import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/index.js';
import { RetryBudget } from './retry-budget.js';

const T0 = Date.UTC(2026, 0, 1);

function retries(budget: RetryBudget, attempts: number): number {
  let granted = 0;
  for (let i = 0; i < attempts; i++) if (budget.tryRetry()) granted++;
  return granted;
}

function requests(budget: RetryBudget, n: number): void {
  for (let i = 0; i < n; i++) budget.recordRequest();
}

describe('RetryBudget', () => {
  it('allows ratio × requests retries and refuses the next', () => {
    const budget = new RetryBudget({ clock: new ManualClock(T0), ratio: 0.2, minPerSecond: 0 });
    requests(budget, 100);
    expect(budget.available()).toBe(20);
    expect(retries(budget, 20)).toBe(20);
    expect(budget.tryRetry()).toBe(false);
    expect(budget.available()).toBe(0);
    // Each request earns a fifth of a retry: five more buy one more.
    requests(budget, 4);
    expect(budget.tryRetry()).toBe(false);
    requests(budget, 1);
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
  });

  it('defaults to 20% plus 10 retries per second of a 10 s window', () => {
    const budget = new RetryBudget({ clock: new ManualClock(T0) });
    expect(budget.available()).toBe(100);
    requests(budget, 50);
    expect(budget.available()).toBe(110);
    expect(retries(budget, 200)).toBe(110);
  });

  it('keeps a floor of minPerSecond × window seconds for quiet traffic', () => {
    const budget = new RetryBudget({ clock: new ManualClock(T0), ratio: 0.5, minPerSecond: 2, windowMs: 5_000 });
    expect(retries(budget, 100)).toBe(10);
    requests(budget, 4);
    expect(retries(budget, 100)).toBe(2);
  });

  it('does not let retries earn budget', () => {
    const budget = new RetryBudget({ clock: new ManualClock(T0), ratio: 1, minPerSecond: 0 });
    requests(budget, 3);
    expect(retries(budget, 10)).toBe(3);
  });

  it('refuses once the ratio is spent, and recovers as the window moves on', () => {
    const clock = new ManualClock(T0);
    const budget = new RetryBudget({ clock, ratio: 0.2, minPerSecond: 1, windowMs: 10_000 });
    // An outage: 100 requests at once, retried as far as the budget lets them (20 + a floor of 10).
    requests(budget, 100);
    expect(retries(budget, 100)).toBe(30);
    clock.advance(9_999);
    expect(budget.tryRetry()).toBe(false);
    // The window has moved past them: only the floor is left, untouched.
    clock.advance(1);
    expect(budget.available()).toBe(10);
    expect(retries(budget, 100)).toBe(10);
  });

  it('earns retries back second by second as new requests come and old retries leave', () => {
    const clock = new ManualClock(T0);
    const budget = new RetryBudget({ clock, ratio: 0.2, minPerSecond: 0, windowMs: 10_000 });
    requests(budget, 100);
    expect(retries(budget, 100)).toBe(20);
    for (let s = 1; s <= 9; s++) {
      clock.advance(1_000);
      requests(budget, 10);
      // (100 + 10 s) requests earn 20 + 2 s retries, of which 20 are spent.
      expect(budget.available()).toBe(2 * s);
    }
    expect(retries(budget, 5)).toBe(5);
    // At 10 s the first second leaves: 90 requests (earning 18) and the 5 retries of second 9 remain.
    clock.advance(1_000);
    expect(budget.available()).toBe(18 - 5);
    // At 20 s every second that had traffic has left the window.
    clock.advance(10_000);
    expect(budget.available()).toBe(0);
  });

  it('refuses every retry with no requests and no floor', () => {
    const budget = new RetryBudget({ clock: new ManualClock(T0), ratio: 0.2, minPerSecond: 0 });
    expect(budget.tryRetry()).toBe(false);
    requests(budget, 4);
    expect(budget.tryRetry()).toBe(false);
  });

  it('rounds ratios the way arithmetic does, not floating point (0.29 × 100 = 29)', () => {
    const budget = new RetryBudget({ clock: new ManualClock(T0), ratio: 0.29, minPerSecond: 0 });
    requests(budget, 100);
    expect(retries(budget, 100)).toBe(29);
  });

  it('rejects nonsense options', () => {
    expect(() => new RetryBudget({ ratio: -0.1 })).toThrow(RangeError);
    expect(() => new RetryBudget({ ratio: Number.NaN })).toThrow(RangeError);
    expect(() => new RetryBudget({ minPerSecond: -1 })).toThrow(RangeError);
    expect(() => new RetryBudget({ windowMs: 0 })).toThrow(RangeError);
  });
});
