import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/index.js';
import type { RateLimitRule } from '../ratelimit.port.js';
import { runRateLimitContract } from '../ratelimit.contract.js';
import { MemoryRateLimitStore } from './memory-ratelimit.store.js';

runRateLimitContract('MemoryRateLimitStore', { create: async (clock) => new MemoryRateLimitStore({ clock }) });

describe('MemoryRateLimitStore', () => {
  const rule: RateLimitRule = { algorithm: 'fixed-window', limit: 2, windowMs: 1000 };

  it('forgets the least recently used key beyond maxKeys', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const store = new MemoryRateLimitStore({ clock, maxKeys: 2 });
    store.decideSync(rule, 'a', 2);
    store.decideSync(rule, 'b', 2);
    store.decideSync(rule, 'a', 0);
    store.decideSync(rule, 'c', 2);
    expect(store.size).toBe(2);
    expect(store.decideSync(rule, 'a')).toMatchObject({ allowed: false });
    expect(store.decideSync(rule, 'b')).toMatchObject({ allowed: true, remaining: 1 });
  });

  it('keeps a key only while its state matters: idle keys are reaped as new ones arrive', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const store = new MemoryRateLimitStore({ clock, idleGraceMs: 0 });
    for (let i = 0; i < 10; i++) store.decideSync(rule, `old-${i}`);
    expect(store.size).toBe(10);
    clock.advance(999);
    store.decideSync(rule, 'new-0');
    expect(store.size).toBe(11);
    clock.advance(1);
    // Each new key reaps up to two idle ones from the cold end of the LRU, as nginx does.
    for (let i = 1; i <= 3; i++) store.decideSync(rule, `new-${i}`);
    expect(store.size).toBe(14 - 6);
    // The 4 old keys left, and new-0 too: its window ended at the same instant.
    expect(store.purgeExpired()).toBe(5);
    expect(store.size).toBe(3);
  });

  it('reaps an idle key only once it has been idle for idleGraceMs (default 60 s, as nginx)', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const store = new MemoryRateLimitStore({ clock });
    store.decideSync(rule, 'old');
    clock.advance(1000 + 59_999);
    store.decideSync(rule, 'new-1');
    expect(store.size).toBe(2);
    clock.advance(1);
    store.decideSync(rule, 'new-2');
    expect(store.size).toBe(2);
    expect(store.decideSync(rule, 'old', 0)).toMatchObject({ remaining: 2 });
  });

  it('does not keep refused or peeking keys, nor idle ones looked at', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const store = new MemoryRateLimitStore({ clock });
    store.decideSync(rule, 'peek', 0);
    store.decideSync(rule, 'huge', 3);
    expect(store.size).toBe(0);
    store.decideSync(rule, 'k');
    clock.advance(1000);
    store.decideSync(rule, 'k', 0);
    expect(store.size).toBe(0);
  });

  it('answers decide and decideSync alike; decide rejects what decideSync throws', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const a = new MemoryRateLimitStore({ clock });
    const b = new MemoryRateLimitStore({ clock });
    for (let i = 0; i < 4; i++) expect(await a.decide(rule, 'k')).toEqual(b.decideSync(rule, 'k'));
    expect(() => a.decideSync(rule, 'k', -1)).toThrow(RangeError);
    await expect(a.decide(rule, 'k', -1)).rejects.toThrow(RangeError);
  });

  it('recompiles a rule object changed after its first use', () => {
    const store = new MemoryRateLimitStore({ clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    const mutable: RateLimitRule = { algorithm: 'fixed-window', limit: 1, windowMs: 1000 };
    expect(store.decideSync(mutable, 'k', 0).remaining).toBe(1);
    mutable.limit = 5;
    expect(store.decideSync(mutable, 'k', 0).remaining).toBe(5);
  });
});
