import { describe, expect, it } from 'vitest';
import { formatLsn, parseLsn, WalTimeline } from './wal-timeline.js';

describe('parseLsn / formatLsn', () => {
  it('reads and writes PostgreSQL LSNs as byte offsets', () => {
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('0/7013AD0')).toBe(0x7013ad0n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
    expect(parseLsn('FFFFFFFF/FFFFFFFF')).toBe(2n ** 64n - 1n);
    expect(formatLsn(parseLsn('16/B374D848'))).toBe('16/B374D848');
    expect(formatLsn(0n)).toBe('0/0');
    expect(() => parseLsn('16B374D848')).toThrow(/not an LSN/);
  });
});

describe('WalTimeline', () => {
  it('dates a replayed position by the newest reading at or before it', () => {
    const timeline = new WalTimeline({ retainMs: 60_000 });
    expect(timeline.freshAsOf(0n)).toBeUndefined();
    timeline.record(1_000, 100n);
    timeline.record(2_000, 200n);
    timeline.record(3_000, 300n);
    expect(timeline.freshAsOf(300n)).toBe(3_000);
    expect(timeline.freshAsOf(350n)).toBe(3_000);
    expect(timeline.freshAsOf(299n)).toBe(2_000);
    expect(timeline.freshAsOf(100n)).toBe(1_000);
    // Behind every reading: the oldest one's time, so the lag reads "at least".
    expect(timeline.freshAsOf(50n)).toBe(1_000);
    expect(timeline.bytesBehind(250n)).toBe(50);
    expect(timeline.bytesBehind(400n)).toBe(0);
    expect(timeline.caughtUp(300n)).toBe(true);
    expect(timeline.caughtUp(299n)).toBe(false);
  });

  it('does not let an idle primary look like lag: equal readings merge into the newest', () => {
    const timeline = new WalTimeline({ retainMs: 60_000 });
    timeline.record(1_000, 100n);
    timeline.record(2_000, 500n);
    for (let t = 3_000; t <= 100_000; t += 1_000) timeline.record(t, 500n);
    expect(timeline.freshAsOf(500n)).toBe(100_000);
    expect(timeline.freshAsOf(499n)).toBe(1_000);
  });

  it('keeps readings for retainMs plus one older, and at most maxSamples', () => {
    const timeline = new WalTimeline({ retainMs: 10_000, maxSamples: 1_000 });
    for (let t = 0; t <= 30_000; t += 1_000) timeline.record(t, BigInt(t));
    expect(timeline.freshAsOf(0n)).toBe(20_000);
    expect(timeline.freshAsOf(25_500n)).toBe(25_000);
    const small = new WalTimeline({ retainMs: 1e9, maxSamples: 3 });
    for (let t = 0; t < 10; t++) small.record(t, BigInt(t));
    expect(small.freshAsOf(0n)).toBe(7);
  });

  it('starts over when the position goes back (another primary)', () => {
    const timeline = new WalTimeline({ retainMs: 60_000 });
    timeline.record(1_000, 1_000n);
    timeline.record(2_000, 10n);
    expect(timeline.newest).toBe(10n);
    expect(timeline.freshAsOf(5n)).toBe(2_000);
  });
});
