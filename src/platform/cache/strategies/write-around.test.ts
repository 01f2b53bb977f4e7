import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CachePort } from '../cache.port.js';
import { CACHE_ADAPTERS } from './testing/adapters.js';
import { eventually, gate, TestSource } from './testing/helpers.js';
import { WriteAround } from './write-around.js';

for (const adapter of CACHE_ADAPTERS) {
  describe.runIf(adapter.available)(`WriteAround on ${adapter.name}`, () => {
    let cache: CachePort;
    let source: TestSource<{ v: number }>;
    let around: WriteAround<{ v: number }>;

    beforeEach(() => {
      cache = adapter.create();
      source = new TestSource();
      around = new WriteAround({ cache, prefix: 'wa:', ttlMs: 60_000, load: source.load, write: source.write });
    });
    afterEach(async () => {
      around.close();
      await cache.close();
    });

    it('writes go to the source only; the cache holds only what was read', async () => {
      await around.write('a', { v: 1 });
      expect(source.data.get('a')).toEqual({ v: 1 });
      expect(await cache.get('wa:a')).toBeUndefined();
      expect(await around.get('a')).toEqual({ v: 1 });
      expect(await cache.get('wa:a')).toEqual({ v: 1 });
      // Writing a cached key drops it rather than updating it; the next read fills.
      await around.write('a', { v: 2 });
      expect(await cache.get('wa:a')).toBeUndefined();
      expect(await around.get('a')).toEqual({ v: 2 });
      expect(source.loads).toBe(2);
    });

    it('a failed source write changes nothing cached for the worse and reaches the caller', async () => {
      await around.write('a', { v: 1 });
      await around.get('a');
      source.failWrites = 1;
      await expect(around.write('a', { v: 2 })).rejects.toThrow('source unavailable');
      expect(await around.get('a')).toEqual({ v: 1 });
    });

    it('a read that was loading the old value when the write came does not put it back', async () => {
      await around.write('a', { v: 1 });
      const release = gate();
      source.beforeLoad = () => release.promise;
      const early = around.get('a');
      await eventually(() => source.loads === 1, 'the early read to reach the source');
      source.beforeLoad = undefined;
      await around.write('a', { v: 2 });
      release.open();
      expect(await early).toEqual({ v: 1 });
      expect(await cache.get('wa:a')).toBeUndefined();
      expect(await around.get('a')).toEqual({ v: 2 });
    });
  });
}
