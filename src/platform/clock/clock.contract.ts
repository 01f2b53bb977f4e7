import { describe, expect, it } from 'vitest';
import type { Clock } from './clock.port.js';

/** Builds the clock under test; a real clock (one that follows wall time), not a manual one. */
export interface ClockContractFactory {
  create(): Clock;
}

/** How far a real clock may read from Date.now(); generous so a loaded CI machine does not flake. */
const NEAR_MS = 5_000;

/** The behaviour every real clock promises; each real clock's test calls this. */
export function runClockContract(name: string, factory: ClockContractFactory): void {
  describe(`${name} (clock contract)`, () => {
    it('reads integer epoch milliseconds near the system time', () => {
      const clock = factory.create();
      const before = Date.now();
      const now = clock.now();
      const after = Date.now();
      expect(Number.isSafeInteger(now)).toBe(true);
      expect(now).toBeGreaterThanOrEqual(before - NEAR_MS);
      expect(now).toBeLessThanOrEqual(after + NEAR_MS);
    });

    it('never goes backwards over 10k reads', () => {
      const clock = factory.create();
      let prev = clock.now();
      let stepBack: string | undefined;
      for (let i = 0; i < 10_000 && stepBack === undefined; i++) {
        const now = clock.now();
        if (now < prev) stepBack = `read ${i} went from ${prev} back to ${now}`;
        prev = now;
      }
      expect(stepBack).toBeUndefined();
    });

    it('moves with real time', async () => {
      const clock = factory.create();
      const start = clock.now();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const elapsed = clock.now() - start;
      // Timers may fire a millisecond early against the wall clock, hence 40 rather than 50.
      expect(elapsed).toBeGreaterThanOrEqual(40);
      expect(elapsed).toBeLessThan(NEAR_MS);
    });
  });
}
