import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CachePort } from '../cache.port.js';
import { CacheAside } from './cache-aside.js';
import { CACHE_ADAPTERS } from './testing/adapters.js';
import { eventually, gate, TestSource } from './testing/helpers.js';
import { VersionedKeys } from './versioned-keys.js';

for (const adapter of CACHE_ADAPTERS) {
  describe.runIf(adapter.available)(`invalidation by version key on ${adapter.name}`, () => {
    let cache: CachePort;
    let source: TestSource<string[]>;
    let versions: VersionedKeys;
    let aside: CacheAside<string[]>;
    /** User `user`'s list `list`, read through the family "user's lists". */
    const list = async (user: string, name: string) => aside.get(await versions.key(`lists:${user}`, name), () => source.load(`${user}/${name}`));

    beforeEach(() => {
      cache = adapter.create();
      source = new TestSource();
      versions = new VersionedKeys({ cache, prefix: 'ver:', versionTtlMs: 60_000 });
      aside = new CacheAside<string[]>({ cache, prefix: 'lists:', ttlMs: 60_000 });
      source.data.set('7/todo', ['a']);
      source.data.set('7/done', ['b']);
      source.data.set('8/todo', ['c']);
    });
    afterEach(async () => {
      await cache.close();
    });

    it("bumping a family's version orphans all of its entries at once, and only its own", async () => {
      for (const [u, l] of [['7', 'todo'], ['7', 'done'], ['8', 'todo']] as const) await list(u, l);
      for (const [u, l] of [['7', 'todo'], ['7', 'done'], ['8', 'todo']] as const) await list(u, l);
      expect(source.loads).toBe(3);
      source.data.set('7/todo', ['a', 'x']);
      source.data.set('7/done', []);
      await versions.bump('lists:7');
      expect(await list('7', 'todo')).toEqual(['a', 'x']);
      expect(await list('7', 'done')).toEqual([]);
      expect(await list('8', 'todo')).toEqual(['c']);
      expect(source.loads).toBe(5);
    });

    it('another instance over the same cache reads the same version and sees the bump', async () => {
      const other = new VersionedKeys({ cache, prefix: 'ver:', versionTtlMs: 60_000 });
      expect(await other.key('lists:7', 'todo')).toBe(await versions.key('lists:7', 'todo'));
      const before = await other.key('lists:7', 'todo');
      await versions.bump('lists:7');
      expect(await other.key('lists:7', 'todo')).not.toBe(before);
    });

    it('a load that read the source before a bump fills an orphan, never the current version', async () => {
      await list('7', 'todo');
      await versions.bump('lists:7');
      const release = gate();
      source.beforeLoad = () => release.promise;
      const early = list('7', 'todo');
      await eventually(() => source.loads === 2, 'the early load to read the source');
      source.beforeLoad = undefined;
      source.data.set('7/todo', ['new']);
      await versions.bump('lists:7');
      release.open();
      expect(await early).toEqual(['a']);
      expect(await list('7', 'todo')).toEqual(['new']);
    });

    it('a version that was evicted is replaced by a new one, never by an old one', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const version = await versions.version('lists:7');
        expect(seen.has(version)).toBe(false);
        seen.add(version);
        if (i % 2 === 0) await versions.bump('lists:7');
        else await cache.delete('ver:lists:7');
      }
      await list('7', 'todo');
      source.data.set('7/todo', ['after eviction']);
      await cache.delete('ver:lists:7');
      expect(await list('7', 'todo')).toEqual(['after eviction']);
    });
  });
}
