import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CachePort } from '../cache.port.js';
import { CacheAside, type CacheLookup } from './cache-aside.js';
import { CACHE_ADAPTERS } from './testing/adapters.js';
import { eventually, gate, TestSource } from './testing/helpers.js';

for (const adapter of CACHE_ADAPTERS) {
  describe.runIf(adapter.available)(`CacheAside on ${adapter.name}`, () => {
    let cache: CachePort;
    let source: TestSource<{ v: number }>;
    let lookups: CacheLookup[];
    const policy = (options: { ttlMs?: number; negativeTtlMs?: number; prefix?: string } = {}) =>
      new CacheAside<{ v: number }>({ cache, prefix: options.prefix ?? 'p:', ttlMs: options.ttlMs ?? 60_000, negativeTtlMs: options.negativeTtlMs ?? 0, onLookup: (r) => lookups.push(r) });

    beforeEach(() => {
      cache = adapter.create();
      source = new TestSource();
      lookups = [];
    });
    afterEach(async () => {
      await cache.close();
    });

    it('reads the cache, else the source, and fills the cache under its prefix', async () => {
      source.data.set('a', { v: 1 });
      const aside = policy();
      expect(await aside.get('a', source.load)).toEqual({ v: 1 });
      expect(await cache.get('p:a')).toEqual({ v: 1 });
      expect(await aside.get('a', source.load)).toEqual({ v: 1 });
      expect(source.loads).toBe(1);
      expect(lookups).toEqual(['miss', 'hit']);
      // Another prefix on the same cache is another namespace.
      expect(await policy({ prefix: 'q:' }).get('a', async () => null)).toBeNull();
    });

    it('loads a key once however many callers miss it at once (single flight), keys apart', async () => {
      source.data.set('a', { v: 1 });
      source.data.set('b', { v: 2 });
      const release = gate();
      source.beforeLoad = () => release.promise;
      const aside = policy();
      const waiting = Promise.all([...Array.from({ length: 100 }, () => aside.get('a', source.load)), aside.get('b', source.load)]);
      await eventually(() => source.loads === 2, 'both keys loading');
      release.open();
      const answers = await waiting;
      expect(answers.slice(0, 100)).toEqual(Array(100).fill({ v: 1 }));
      expect(answers[100]).toEqual({ v: 2 });
      expect(source.loads).toBe(2);
    });

    it('shares a failed load with its waiters, caches nothing, and lets the next read try again', async () => {
      const aside = policy();
      let fail = true;
      const load = async (key: string) => {
        if (fail) throw new Error('source down');
        return source.load(key);
      };
      await expect(Promise.all([aside.get('a', load), aside.get('a', load)])).rejects.toThrow('source down');
      expect(await cache.get('p:a')).toBeUndefined();
      fail = false;
      source.data.set('a', { v: 1 });
      expect(await aside.get('a', load)).toEqual({ v: 1 });
    });

    it('remembers an absent key for the negative TTL, and not at all when it is 0', async () => {
      const remembering = policy({ negativeTtlMs: 60_000 });
      expect(await remembering.get('none', source.load)).toBeNull();
      expect(await remembering.get('none', source.load)).toBeNull();
      expect(source.loads).toBe(1);
      expect(lookups).toEqual(['miss', 'negative_hit']);
      expect(await cache.get('p:none')).toBeNull();

      const forgetting = policy({ prefix: 'n:' });
      await forgetting.get('none', source.load);
      await forgetting.get('none', source.load);
      expect(source.loads).toBe(3);
      expect(await cache.get('n:none')).toBeUndefined();
    });

    it('writes the source, then invalidates: the next read sees the write, a remembered absence included', async () => {
      const aside = policy({ negativeTtlMs: 60_000 });
      expect(await aside.get('a', source.load)).toBeNull();
      const answer = await aside.write('a', async () => {
        await source.write('a', { v: 1 });
        return 'written';
      });
      expect(answer).toBe('written');
      expect(await cache.get('p:a')).toBeUndefined();
      expect(await aside.get('a', source.load)).toEqual({ v: 1 });
      // A write that fails part way still invalidates, and its error reaches the caller.
      await expect(
        aside.write('a', async () => {
          source.data.set('a', { v: 2 });
          throw new Error('second statement failed');
        }),
      ).rejects.toThrow('second statement failed');
      expect(await aside.get('a', source.load)).toEqual({ v: 2 });
    });

    it('never lets a load that read the source before a write fill the cache after it', async () => {
      source.data.set('a', { v: 1 });
      const aside = policy();
      const release = gate();
      source.beforeLoad = () => release.promise;
      const early = aside.get('a', source.load);
      await eventually(() => source.loads === 1, 'the first load to read the source');
      source.beforeLoad = undefined;
      await aside.write('a', () => source.write('a', { v: 2 }));
      // A read after the write does not join the stale load: it loads afresh.
      expect(await aside.get('a', source.load)).toEqual({ v: 2 });
      release.open();
      // The early caller gets what it read; the cache keeps the write's value.
      expect(await early).toEqual({ v: 1 });
      expect(await cache.get('p:a')).toEqual({ v: 2 });
      expect(await aside.get('a', source.load)).toEqual({ v: 2 });
    });

    it('invalidation by TTL: a value is served until its TTL ends, then reloaded', async () => {
      source.data.set('a', { v: 1 });
      const long = policy({ prefix: 'long:' });
      const short = policy({ prefix: 'short:', ttlMs: 100 });
      await long.get('a', source.load);
      await short.get('a', source.load);
      source.data.set('a', { v: 2 });
      // No invalidation: within the TTL the cache still answers with what it holds.
      expect(await long.get('a', source.load)).toEqual({ v: 1 });
      await eventually(async () => (await short.get('a', source.load))?.v === 2, 'the short TTL to end');
      expect(await long.get('a', source.load)).toEqual({ v: 1 });
    });
  });
}

describe('CacheAside when the cache fails', () => {
  const broken: CachePort = {
    get: () => Promise.reject(new Error('cache down')),
    set: () => Promise.reject(new Error('cache down')),
    delete: () => Promise.reject(new Error('cache down')),
    ping: () => Promise.reject(new Error('cache down')),
    close: async () => {},
  };

  it('reads from the source and acknowledges writes, reporting every cache error', async () => {
    const errors: unknown[] = [];
    const aside = new CacheAside<{ v: number }>({ cache: broken, prefix: 'p:', ttlMs: 60_000, negativeTtlMs: 1_000, onError: (e) => errors.push(e) });
    let loads = 0;
    expect(await aside.get('a', async () => ({ v: ++loads }))).toEqual({ v: 1 });
    expect(await aside.get('missing', async () => null)).toBeNull();
    expect(await aside.write('a', async () => 'written')).toBe('written');
    // get + fill, get + negative fill, delete: five failed cache calls, none surfaced to the caller.
    expect(errors).toHaveLength(5);
  });
});
