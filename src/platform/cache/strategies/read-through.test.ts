import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CachePort } from '../cache.port.js';
import { ReadThrough } from './read-through.js';
import { CACHE_ADAPTERS } from './testing/adapters.js';
import { eventually, gate, TestSource } from './testing/helpers.js';

for (const adapter of CACHE_ADAPTERS) {
  describe.runIf(adapter.available)(`ReadThrough on ${adapter.name}`, () => {
    let cache: CachePort;
    let source: TestSource<{ v: number }>;
    let reads: ReadThrough<{ v: number }>;

    beforeEach(() => {
      cache = adapter.create();
      source = new TestSource();
      reads = new ReadThrough({ cache, prefix: 'rt:', ttlMs: 60_000, negativeTtlMs: 60_000, load: source.load });
    });
    afterEach(async () => {
      reads.close();
      await cache.close();
    });

    it('callers ask only the cache: a miss is loaded once for every waiting caller, then served from the cache', async () => {
      source.data.set('a', { v: 1 });
      const release = gate();
      source.beforeLoad = () => release.promise;
      const waiting = Promise.all(Array.from({ length: 50 }, () => reads.get('a')));
      await eventually(() => source.loads === 1, 'the load to start');
      release.open();
      expect(await waiting).toEqual(Array(50).fill({ v: 1 }));
      source.beforeLoad = undefined;
      expect(await reads.get('a')).toEqual({ v: 1 });
      expect(await reads.get('none')).toBeNull();
      expect(await reads.get('none')).toBeNull();
      expect(source.loads).toBe(2);
    });

    it('serves what it holds until invalidated (possibly stale), then loads the change', async () => {
      source.data.set('a', { v: 1 });
      await reads.get('a');
      source.data.set('a', { v: 2 });
      expect(await reads.get('a')).toEqual({ v: 1 });
      await reads.invalidate('a');
      expect(await reads.get('a')).toEqual({ v: 2 });
    });
  });
}
