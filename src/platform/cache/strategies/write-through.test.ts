import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CachePort } from '../cache.port.js';
import { CACHE_ADAPTERS } from './testing/adapters.js';
import { eventually, FlakyCache, gate, TestSource } from './testing/helpers.js';
import { WriteThrough } from './write-through.js';

for (const adapter of CACHE_ADAPTERS) {
  describe.runIf(adapter.available)(`WriteThrough on ${adapter.name}`, () => {
    let cache: FlakyCache;
    let inner: CachePort;
    let source: TestSource<{ v: number }>;
    let through: WriteThrough<{ v: number }>;

    beforeEach(() => {
      inner = adapter.create();
      cache = new FlakyCache(inner);
      source = new TestSource();
      through = new WriteThrough({ cache, prefix: 'wt:', ttlMs: 60_000, load: source.load, write: source.write });
    });
    afterEach(async () => {
      through.close();
      await cache.close();
    });

    it('once set resolves, the source and the cache both hold the value; reads need no load', async () => {
      await through.set('a', { v: 1 });
      expect(source.data.get('a')).toEqual({ v: 1 });
      expect(await inner.get('wt:a')).toEqual({ v: 1 });
      expect(await through.get('a')).toEqual({ v: 1 });
      expect(source.loads).toBe(0);
    });

    it('a failed source write leaves the cache as it was', async () => {
      await through.set('a', { v: 1 });
      source.failWrites = 1;
      await expect(through.set('a', { v: 2 })).rejects.toThrow('source unavailable');
      expect(source.data.get('a')).toEqual({ v: 1 });
      expect(await through.get('a')).toEqual({ v: 1 });
    });

    it('a failed cache write after the source write drops the key, so the next read loads the new value', async () => {
      await through.set('a', { v: 1 });
      cache.failing = true;
      await expect(through.set('a', { v: 2 })).rejects.toThrow('cache unavailable');
      cache.failing = false;
      expect(await inner.get('wt:a')).toBeUndefined();
      expect(await through.get('a')).toEqual({ v: 2 });
    });

    it('concurrent writes to one key reach the source and the cache in call order', async () => {
      // Later writes reach a slow source sooner: without ordering they would overtake.
      let n = 0;
      const write = source.write;
      source.write = async (key, value) => {
        await new Promise((r) => setTimeout(r, 20 - 2 * n++));
        await write(key, value);
      };
      through = new WriteThrough({ cache, prefix: 'wt:', ttlMs: 60_000, load: source.load, write: (k, v) => source.write(k, v) });
      await Promise.all(Array.from({ length: 10 }, (_, i) => through.set('a', { v: i })));
      expect(source.writes.map(([, value]) => value.v)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await inner.get('wt:a')).toEqual({ v: 9 });
    });

    it('a read that was loading the old value does not overwrite the written one', async () => {
      source.data.set('a', { v: 1 });
      const release = gate();
      source.beforeLoad = () => release.promise;
      const early = through.get('a');
      await eventually(() => source.loads === 1, 'the early read to reach the source');
      await through.set('a', { v: 2 });
      release.open();
      expect(await early).toEqual({ v: 1 });
      expect(await inner.get('wt:a')).toEqual({ v: 2 });
      expect(await through.get('a')).toEqual({ v: 2 });
    });
  });
}
