import { describe, expect, it } from 'vitest';
import { RecentWrites } from './recent-writes.js';

describe('RecentWrites', () => {
  it('counts a key as recent for the window after its last write', () => {
    const writes = new RecentWrites({ windowMs: 100, maxKeys: 10 });
    writes.record('a', 1_000);
    expect(writes.isRecent('a', 1_000)).toBe(true);
    expect(writes.isRecent('a', 1_099)).toBe(true);
    expect(writes.isRecent('a', 1_100)).toBe(false);
    expect(writes.isRecent('b', 1_000)).toBe(false);
    writes.record('a', 1_090);
    expect(writes.isRecent('a', 1_150)).toBe(true);
  });

  it('forgets expired keys as new writes come', () => {
    const writes = new RecentWrites({ windowMs: 100, maxKeys: 10 });
    for (let i = 0; i < 5; i++) writes.record(`k${i}`, i * 10);
    expect(writes.size).toBe(5);
    writes.record('late', 125);
    // k0 (0), k1 (10), k2 (20) expired; k3 (30), k4 (40) and late remain.
    expect(writes.size).toBe(3);
    expect(writes.evictions).toBe(0);
  });

  it('stays within maxKeys, evicting the least recent writer, and then counts every key as recent until its window would end', () => {
    const writes = new RecentWrites({ windowMs: 100, maxKeys: 2 });
    writes.record('a', 0);
    writes.record('b', 10);
    writes.record('a', 20); // a is now the most recent
    writes.record('c', 30); // evicts b, written at 10
    expect(writes.size).toBe(2);
    expect(writes.evictions).toBe(1);
    // b's write may be unseen by a replica until 110: everyone reads as a recent writer until then.
    expect(writes.isRecent('b', 109)).toBe(true);
    expect(writes.isRecent('never-wrote', 109)).toBe(true);
    expect(writes.isRecent('b', 110)).toBe(false);
    expect(writes.isRecent('a', 110)).toBe(true);
    expect(writes.isRecent('c', 130)).toBe(false);
  });

  it('stays bounded under a flood of distinct keys', () => {
    const writes = new RecentWrites({ windowMs: 1_000, maxKeys: 1_000 });
    for (let i = 0; i < 100_000; i++) writes.record(`user-${i}`, i / 10);
    expect(writes.size).toBe(1_000);
  });

  it('remembers nothing with a zero window', () => {
    const writes = new RecentWrites({ windowMs: 0, maxKeys: 1 });
    writes.record('a', 0);
    expect(writes.isRecent('a', 0)).toBe(false);
    expect(writes.size).toBe(0);
  });

  it('rejects a bad configuration', () => {
    expect(() => new RecentWrites({ windowMs: -1, maxKeys: 1 })).toThrow(RangeError);
    expect(() => new RecentWrites({ windowMs: 1, maxKeys: 0 })).toThrow(RangeError);
  });
});
