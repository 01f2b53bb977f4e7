import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryPubSub } from '../../pubsub/memory/memory-pubsub.js';
import type { PubSubPort } from '../../pubsub/index.js';
import { runCacheContract } from '../cache.contract.js';
import type { CachePort } from '../cache.port.js';
import { LruCacheAdapter } from '../memory/lru-cache.adapter.js';
import { NearCache, type NearCacheOptions } from './near-cache.js';
import { until } from '../../../../test/helpers/poll.js';

// The embedded pair: an LRU stands for the shared remote, and MemoryPubSub for the bus (it spans
// the threads of this process). The same behaviour over Redis is in ../redis/redis-near-cache.test.ts.

let serial = 0;
const unique = (what: string) => `${what}-${process.pid}-${Date.now().toString(36)}-${++serial}`;

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
});

function bus(namespace: string): MemoryPubSub {
  const b = new MemoryPubSub({ namespace });
  opened.push(b);
  return b;
}

/** The shared remote, seen by each near cache through a view it may close without closing the others'. */
function sharedRemote(): { view(): CachePort; store: LruCacheAdapter; reads: () => number } {
  const store = new LruCacheAdapter({ maxEntries: 10_000 });
  let reads = 0;
  return {
    store,
    reads: () => reads,
    view: () => ({
      get: (k) => (reads++, store.get(k)),
      set: (k, v, ttl) => store.set(k, v, ttl),
      delete: (k) => store.delete(k),
      ping: () => store.ping(),
      close: async () => {},
    }),
  };
}

function near(options: Partial<NearCacheOptions> & Pick<NearCacheOptions, 'remote' | 'bus'>): NearCache {
  const cache = new NearCache({ localTtlMs: 60_000, ...options });
  opened.push(cache);
  return cache;
}

/** Waits, boundedly, until `probe` returns true. */

runCacheContract('NearCache (LRU remote, MemoryPubSub)', {
  create: async () => {
    const cache = new NearCache({ remote: new LruCacheAdapter({ maxEntries: 1000 }), bus: bus(unique('contract')) });
    await cache.ready();
    return cache;
  },
});

describe('NearCache', () => {
  it('a write through one evicts the key from the others; the writer reads its own write at once', async () => {
    const remote = sharedRemote();
    const namespace = unique('bus');
    const [a, b] = [near({ remote: remote.view(), bus: bus(namespace) }), near({ remote: remote.view(), bus: bus(namespace) })];
    await a.set('k', 'v1', 60_000);
    // b hears of the first write before reading, or that message could evict what b reads next.
    await until(() => b.stats().invalidations === 1, 'b heard of v1');
    expect(await a.get('k')).toBe('v1');
    expect(await b.get('k')).toBe('v1');
    // Written behind their backs, the remote changes nothing: both answer from process memory.
    await remote.store.set('k', { v: 'behind', e: Date.now() + 60_000 }, 60_000);
    expect(await a.get('k')).toBe('v1');
    expect(await b.get('k')).toBe('v1');
    expect(b.stats()).toMatchObject({ localHits: 1, remoteHits: 1 });

    await a.set('k', 'v2', 60_000);
    expect(await a.get('k')).toBe('v2');
    await until(async () => (await b.get('k')) === 'v2', 'b sees v2');
    expect(b.stats().invalidations).toBe(2);
    await b.delete('k');
    expect(await b.get('k')).toBeUndefined();
    await until(async () => (await a.get('k')) === undefined, 'a sees the delete');
    expect(a.stats().resets).toBe(0);
  });

  it('keeps an entry in memory no longer than localTtlMs when invalidations are lost', async () => {
    const remote = sharedRemote();
    // Different buses: b never hears of a's writes.
    const a = near({ remote: remote.view(), bus: bus(unique('bus')) });
    const b = near({ remote: remote.view(), bus: bus(unique('bus')), localTtlMs: 200 });
    await a.set('k', 'v1', 60_000);
    expect(await b.get('k')).toBe('v1');
    await a.set('k', 'v2', 60_000);
    expect(await b.get('k')).toBe('v1');
    await until(async () => (await b.get('k')) === 'v2', 'b sees v2 once its local copy expired');
  });

  it('never keeps an entry past the deadline it was written with', async () => {
    const remote = sharedRemote();
    const namespace = unique('bus');
    const [a, b] = [near({ remote: remote.view(), bus: bus(namespace) }), near({ remote: remote.view(), bus: bus(namespace) })];
    await a.set('k', 'v', 150);
    expect(await b.get('k')).toBe('v');
    await until(async () => (await b.get('k')) === undefined, 'the entry expires in b');
    // A deadline already past (a clock ahead of the writer's) is a miss, not an entry kept for localTtlMs.
    await remote.store.set('old', { v: 'x', e: Date.now() - 1 }, 60_000);
    expect(await b.get('old')).toBeUndefined();
  });

  it('drops all of its memory when a sequence number shows that a message was lost', async () => {
    const remote = sharedRemote();
    const namespace = unique('bus');
    const channel = unique('ch');
    const b = near({ remote: remote.view(), bus: bus(namespace), channel });
    const peer = bus(namespace);
    await remote.store.set('k', { v: 'v1', e: Date.now() + 60_000 }, 60_000);
    expect(await b.get('k')).toBe('v1');
    await remote.store.set('k', { v: 'v2', e: Date.now() + 60_000 }, 60_000);
    // A peer's messages 1 and 2 about other keys, then 4: its message 3 never arrived.
    await peer.publish(channel, { o: 'peer', s: 1, k: 'other' });
    await peer.publish(channel, { o: 'peer', s: 2 });
    await until(() => b.stats().invalidations === 1, 'b heard 1');
    expect(await b.get('k')).toBe('v1');
    expect(b.stats().resets).toBe(0);
    await peer.publish(channel, { o: 'peer', s: 4 });
    await until(() => b.stats().resets === 1, 'b noticed the gap');
    expect(await b.get('k')).toBe('v2');
  });

  it('counts its own messages too: one it published before listening, or that failed, resets it', async () => {
    const remote = sharedRemote();
    const namespace = unique('bus');
    const channel = unique('ch');
    const quiet = bus(namespace);
    // A bus that loses this cache's first message, as Redis does for one published during a reconnection.
    let dropped = 0;
    const lossy: PubSubPort = {
      publish: async (ch, m) => (dropped++ === 0 ? undefined : quiet.publish(ch, m)),
      subscribe: (ch, h) => quiet.subscribe(ch, h),
      ready: () => quiet.ready(),
      ping: () => quiet.ping(),
      close: async () => {},
    };
    const a = near({ remote: remote.view(), bus: lossy, channel });
    await a.set('x', 1, 60_000);
    await a.set('y', 2, 60_000);
    await until(() => a.stats().resets === 1, 'a noticed its own lost message');
  });

  it('publishes heartbeats while quiet, numbered after its writes', async () => {
    const namespace = unique('bus');
    const channel = unique('ch');
    const listener = bus(namespace);
    const heard: unknown[] = [];
    listener.subscribe(channel, (m) => heard.push(m));
    const a = near({ remote: sharedRemote().view(), bus: bus(namespace), channel, heartbeatMs: 20 });
    await a.set('k', 1, 60_000);
    await until(() => heard.length >= 3, 'two heartbeats');
    expect(heard[0]).toMatchObject({ s: 1, k: 'k' });
    expect(heard[1]).toEqual({ o: (heard[0] as { o: string }).o, s: 2 });
    expect(heard[2]).toEqual({ o: (heard[0] as { o: string }).o, s: 3 });
  });

  it('shares one remote read among concurrent reads of a key', async () => {
    const remote = sharedRemote();
    const a = near({ remote: remote.view(), bus: bus(unique('bus')) });
    await a.set('k', 'v', 60_000);
    const values = await Promise.all(Array.from({ length: 20 }, () => a.get('k')));
    expect(values).toEqual(Array(20).fill('v'));
    expect(remote.reads()).toBe(1);
  });

  it('does not keep what a read in flight during an invalidation brought back', async () => {
    const remote = sharedRemote();
    const namespace = unique('bus');
    // b's remote read of k waits on a gate, so that a's write and its invalidation come in between.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const view = remote.view();
    const gated: CachePort = { ...view, get: async (k) => { const v = await view.get(k); await gate; return v as never; } };
    const a = near({ remote: remote.view(), bus: bus(namespace) });
    const b = near({ remote: gated, bus: bus(namespace) });
    await a.set('k', 'v1', 60_000);
    const early = b.get('k');
    await until(() => remote.reads() === 1, 'b read the remote');
    await a.set('k', 'v2', 60_000);
    await until(() => b.stats().invalidations === 1, 'b heard of the write');
    open();
    // The read began before the write: its answer stands, but is not kept.
    expect(await early).toBe('v1');
    expect(await b.get('k')).toBe('v2');
  });

  it('reports unreadable messages and entries, and ignores them', async () => {
    const remote = sharedRemote();
    const namespace = unique('bus');
    const channel = unique('ch');
    const errors: unknown[] = [];
    const b = near({ remote: remote.view(), bus: bus(namespace), channel, onError: (e) => errors.push(e) });
    await bus(namespace).publish(channel, { o: 'x', s: 0 });
    await bus(namespace).publish(channel, 'nonsense');
    await until(() => errors.length === 2, 'two reports');
    await remote.store.set('raw', 'not an envelope', 60_000);
    expect(await b.get('raw')).toBeUndefined();
    expect(errors).toHaveLength(3);
    expect(b.stats().resets).toBe(0);
  });

  it('refuses bad options, TTLs and undefined', async () => {
    const remote = sharedRemote();
    const b = bus(unique('bus'));
    for (const bad of [{ maxEntries: 0 }, { localTtlMs: 1.5 }, { heartbeatMs: -1 }]) {
      expect(() => new NearCache({ remote: remote.view(), bus: b, ...bad })).toThrow(RangeError);
    }
    const a = near({ remote: remote.view(), bus: b });
    for (const ttl of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) await expect(a.set('k', 1, ttl)).rejects.toThrow(RangeError);
    await expect(a.set('k', undefined, 1_000)).rejects.toThrow(TypeError);
  });

  it('model: after any sequence of writes through any of three, the writer reads its write at once and all agree soon after', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 2 }),
            key: fc.constantFrom('a', 'b', 'c'),
            value: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }),
            readFirst: fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 3 }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        async (ops) => {
          const remote = sharedRemote();
          const namespace = unique('bus');
          const caches = [0, 1, 2].map(() => near({ remote: remote.view(), bus: bus(namespace) }));
          const model = new Map<string, number>();
          for (const op of ops) {
            // Reads first, so that process memory holds what the write must evict.
            for (const r of op.readFirst) await caches[r]!.get(op.key);
            if (op.value === undefined) {
              await caches[op.at]!.delete(op.key);
              model.delete(op.key);
            } else {
              await caches[op.at]!.set(op.key, op.value, 60_000);
              model.set(op.key, op.value);
            }
            expect(await caches[op.at]!.get(op.key)).toBe(model.get(op.key));
          }
          for (const key of ['a', 'b', 'c']) {
            for (const cache of caches) await until(async () => (await cache.get(key)) === model.get(key), `all agree on ${key}`);
          }
          expect(caches.map((c) => c.stats().resets)).toEqual([0, 0, 0]);
          await Promise.all(opened.splice(0).map((o) => o.close()));
        },
      ),
      { numRuns: 40 },
    );
  });
});
