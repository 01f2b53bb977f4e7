import { describe, expect, it } from 'vitest';
import { runClockContract } from './clock.contract.js';
import { ManualClock, systemClock } from './clock.port.js';

runClockContract('systemClock', { create: () => systemClock });

describe('ManualClock', () => {
  it('starts at the given time, or at 2026-01-01T00:00:00Z by default', () => {
    expect(new ManualClock(1_234).now()).toBe(1_234);
    expect(new ManualClock().now()).toBe(Date.UTC(2026, 0, 1));
  });

  it('stands still until told to move', async () => {
    const clock = new ManualClock(5_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(clock.now()).toBe(5_000);
  });

  it('advances by the given amount, backwards too', () => {
    const clock = new ManualClock(1_000);
    clock.advance(250);
    expect(clock.now()).toBe(1_250);
    clock.advance(0);
    expect(clock.now()).toBe(1_250);
    // Tests simulate NTP stepping the clock back this way.
    clock.advance(-1_000);
    expect(clock.now()).toBe(250);
  });

  it('sets an absolute time, from which advance continues', () => {
    const clock = new ManualClock(1_000);
    clock.set(Date.UTC(2030, 5, 15));
    expect(clock.now()).toBe(Date.UTC(2030, 5, 15));
    clock.advance(1);
    expect(clock.now()).toBe(Date.UTC(2030, 5, 15) + 1);
    clock.set(10);
    expect(clock.now()).toBe(10);
  });
});
