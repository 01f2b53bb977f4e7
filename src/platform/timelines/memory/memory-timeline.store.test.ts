import { describe, expect, it } from 'vitest';
import { entry, runTimelineContract } from '../timeline.contract.js';
import { MemoryTimelineStore } from './memory-timeline.store.js';

runTimelineContract('MemoryTimelineStore', { create: async (capacity) => new MemoryTimelineStore({ capacity }) });

describe('MemoryTimelineStore', () => {
  it('forgets the least recently read or rebuilt timeline beyond maxTimelines; pushes do not count as use', () => {
    const store = new MemoryTimelineStore({ capacity: 10, maxTimelines: 3 });
    store.replaceSync(1n, []);
    store.replaceSync(2n, []);
    store.replaceSync(3n, []);
    expect(store.rangeSync(1n, 10)).toEqual([]);
    store.pushSync([2n], entry(5));
    store.replaceSync(4n, []);
    expect(store.sizeSync).toBe(3);
    expect(store.rangeSync(2n, 10)).toBeNull();
    expect(store.rangeSync(1n, 10)).toEqual([]);
    store.replaceSync(3n, [entry(1)]);
    store.replaceSync(5n, []);
    expect(store.rangeSync(4n, 10)).toBeNull();
    expect([1n, 3n, 5n].map((u) => store.rangeSync(u, 10) !== null)).toEqual([true, true, true]);
  });

  it('sync variants say how much they changed', () => {
    const store = new MemoryTimelineStore({ capacity: 2 });
    store.replaceSync(1n, [entry(10, 1), entry(20, 2)]);
    store.replaceSync(2n, []);
    expect(store.pushSync([1n, 2n, 3n], entry(30, 1))).toBe(2);
    expect(store.pushSync([1n, 2n], entry(30, 1))).toBe(0);
    expect(store.pushSync([1n], entry(5, 1))).toBe(0);
    expect(store.removeTweetSync([1n, 2n, 3n], 30n)).toBe(2);
    expect(store.removeAuthorSync(1n, 2n)).toBe(1);
    expect(store.rangeSync(1n, 10)).toEqual([]);
  });

  it('rejects a capacity or maxTimelines below 1', () => {
    expect(() => new MemoryTimelineStore({ capacity: 0 })).toThrow(RangeError);
    expect(() => new MemoryTimelineStore({ maxTimelines: 0.5 })).toThrow(RangeError);
  });

  it('close forgets every timeline', async () => {
    const store = new MemoryTimelineStore();
    await store.replace(1n, [entry(1)]);
    await store.close();
    expect(await store.range(1n, 10)).toBeNull();
  });
});
