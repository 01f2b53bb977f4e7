import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CachePort } from './cache.port.js';

/** Builds a fresh, empty cache for each test. */
export interface CacheContractFactory {
  create(): Promise<CachePort>;
}

/** The behaviour every cache adapter promises; each adapter's test calls this. */
export function runCacheContract(name: string, factory: CacheContractFactory): void {
  describe(`${name} (cache contract)`, () => {
    let cache: CachePort;
    beforeEach(async () => {
      cache = await factory.create();
    });
    afterEach(async () => {
      await cache.close();
    });

    it('misses on an absent key', async () => {
      expect(await cache.get('absent')).toBeUndefined();
    });

    it('returns what was stored, including falsy and nested values', async () => {
      await cache.set('obj', { url: 'https://example.com', n: 1, nested: { a: [1, 2] } }, 60_000);
      await cache.set('zero', 0, 60_000);
      await cache.set('empty', '', 60_000);
      await cache.set('null', null, 60_000);
      expect(await cache.get('obj')).toEqual({ url: 'https://example.com', n: 1, nested: { a: [1, 2] } });
      expect(await cache.get('zero')).toBe(0);
      expect(await cache.get('empty')).toBe('');
      expect(await cache.get('null')).toBeNull();
    });

    it('peeks (where it can) only at what get would answer: never a deleted or an absent value', async () => {
      if (cache.peek === undefined) return;
      expect(cache.peek('k')).toBeUndefined();
      await cache.set('k', { v: 1 }, 60_000);
      // A near cache holds a value here only once it has read it.
      const held = cache.peek('k') ?? ((await cache.get('k')) && cache.peek('k'));
      expect(held).toEqual({ v: 1 });
      await cache.set('k', { v: 2 }, 60_000);
      expect([undefined, { v: 2 }]).toContainEqual(cache.peek('k'));
      await cache.delete('k');
      expect(cache.peek('k')).toBeUndefined();
    });

    it('overwrites and deletes', async () => {
      await cache.set('k', 'one', 60_000);
      await cache.set('k', 'two', 60_000);
      expect(await cache.get('k')).toBe('two');
      await cache.delete('k');
      expect(await cache.get('k')).toBeUndefined();
      await cache.delete('never-set');
    });

    it('expires entries after their TTL', async () => {
      await cache.set('short', 'v', 100);
      await cache.set('long', 'v', 60_000);
      expect(await cache.get('short')).toBe('v');
      const deadline = Date.now() + 3_000;
      while ((await cache.get('short')) !== undefined && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await cache.get('short')).toBeUndefined();
      expect(await cache.get('long')).toBe('v');
    });

    it('answers ping', async () => {
      await expect(cache.ping()).resolves.toBeUndefined();
    });
  });
}
