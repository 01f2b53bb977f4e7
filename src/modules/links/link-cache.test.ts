import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidationBus } from '../../platform/cache/index.js';
import { LruCacheAdapter } from '../../platform/cache/memory/lru-cache.adapter.js';
import { MemoryPubSub } from '../../platform/pubsub/memory/index.js';
import { Metrics } from '../../observability/metrics.js';
import { LinkCache } from './link-cache.js';
import type { LinkTarget } from './links.model.js';

const target: LinkTarget = { url: 'https://example.com/', redirect: 302, expiresAt: null };

function setup(load: (code: string) => Promise<LinkTarget | null>, negativeTtlMs = 60_000) {
  const metrics = new Metrics({ defaultMetrics: false });
  const cache = new LinkCache(new LruCacheAdapter({ maxEntries: 100 }), load, metrics, { ttlMs: 60_000, negativeTtlMs });
  return { cache, metrics };
}

describe('LinkCache', () => {
  it('loads a cold code once under a stampede and serves the rest from the cache', async () => {
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { cache, metrics } = setup(async () => {
      loads++;
      await gate;
      return target;
    });
    const waiting = Promise.all(Array.from({ length: 200 }, () => cache.get('abc')));
    release();
    expect(new Set(await waiting)).toEqual(new Set([target]));
    expect(loads).toBe(1);
    expect(await cache.get('abc')).toEqual(target);
    expect(loads).toBe(1);
    const text = await metrics.render();
    expect(text).toContain('cache_requests_total{cache="links",result="hit"} 1');
    expect(text).toContain('cache_requests_total{cache="links",result="miss"} 200');
  });

  it('remembers unknown codes for the negative TTL only', async () => {
    let loads = 0;
    const { cache } = setup(async () => {
      loads++;
      return null;
    }, 50);
    expect(await cache.get('nope')).toBeNull();
    expect(await cache.get('nope')).toBeNull();
    expect(loads).toBe(1);
    await new Promise((r) => setTimeout(r, 120));
    await cache.get('nope');
    expect(loads).toBe(2);
  });

  it('does not cache an answer loaded while the code was invalidated', async () => {
    let answer: LinkTarget | null = null;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let loads = 0;
    let started!: () => void;
    const loading = new Promise<void>((r) => (started = r));
    const { cache } = setup(async () => {
      loads++;
      // The database answers as of now; the answer arrives later.
      const seen = answer;
      started();
      if (loads === 1) await gate;
      return seen;
    });
    const stale = cache.get('fresh');
    await loading;
    // The link is created while the miss is being loaded.
    answer = target;
    await cache.invalidate('fresh');
    release();
    expect(await stale).toBeNull();
    expect(await cache.get('fresh')).toEqual(target);
  });

  it("drops a code another instance invalidated over the bus (each with its own in-process cache)", async () => {
    const pubsub = new MemoryPubSub({ namespace: randomUUID() });
    let answer: LinkTarget | null = target;
    const load = async () => answer;
    const instance = () =>
      new LinkCache(new LruCacheAdapter({ maxEntries: 100 }), load, new Metrics({ defaultMetrics: false }), {
        ttlMs: 60_000,
        negativeTtlMs: 60_000,
        bus: new InvalidationBus(pubsub, 'links-test'),
      });
    const writer = instance();
    const reader = instance();
    try {
      expect(await reader.get('abc')).toEqual(target);
      answer = null;
      await writer.invalidate('abc');
      const deadline = Date.now() + 5_000;
      while ((await reader.get('abc')) !== null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(await reader.get('abc')).toBeNull();
    } finally {
      await pubsub.close();
    }
  });
});
