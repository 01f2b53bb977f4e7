import { expect, it } from 'vitest';
import { runCacheContract } from '../cache.contract.js';
import { LruCacheAdapter } from './lru-cache.adapter.js';

runCacheContract('LruCacheAdapter', { create: async () => new LruCacheAdapter({ maxEntries: 1000 }) });

it('evicts the least recently used entry beyond maxEntries', async () => {
  const cache = new LruCacheAdapter({ maxEntries: 2 });
  await cache.set('a', 1, 60_000);
  await cache.set('b', 2, 60_000);
  await cache.get('a');
  await cache.set('c', 3, 60_000);
  expect(await cache.get('b')).toBeUndefined();
  expect(await cache.get('a')).toBe(1);
  expect(await cache.get('c')).toBe(3);
});
