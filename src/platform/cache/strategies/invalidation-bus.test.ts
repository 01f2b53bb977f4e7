import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryPubSub } from '../../pubsub/memory/index.js';
import type { CachePort } from '../cache.port.js';
import { CacheAside } from './cache-aside.js';
import { InvalidationBus } from './invalidation-bus.js';
import { CACHE_ADAPTERS } from './testing/adapters.js';
import { eventually, gate, TestSource } from './testing/helpers.js';

const CHANNEL = 'cache.invalidate.test';

describe('InvalidationBus', () => {
  let pubsub: MemoryPubSub;
  beforeEach(() => {
    pubsub = new MemoryPubSub({ namespace: randomUUID() });
  });
  afterEach(async () => {
    await pubsub.close();
  });

  it("delivers keys to the other buses on the channel, never to the publisher's own", async () => {
    const mine = new InvalidationBus(pubsub, CHANNEL);
    const theirs = new InvalidationBus(pubsub, CHANNEL);
    const heardByMine: (readonly string[])[] = [];
    const heardByTheirs: (readonly string[])[] = [];
    mine.subscribe((keys) => heardByMine.push(keys));
    theirs.subscribe((keys) => heardByTheirs.push(keys));
    await mine.publish(['a', 'b']);
    // One publisher's messages arrive in order: once the marker is in, the first would have been.
    await theirs.publish(['marker']);
    await eventually(() => heardByMine.length > 0, 'the marker');
    expect(heardByMine).toEqual([['marker']]);
    expect(heardByTheirs).toEqual([['a', 'b']]);
  });

  it('sends the keys published by continuations of one turn as one message', async () => {
    const mine = new InvalidationBus(pubsub, CHANNEL);
    const messages: unknown[] = [];
    pubsub.subscribe(CHANNEL, (m) => messages.push(m));
    // Fifty writers whose shared commit resolved at once, each invalidating its key.
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => (commit = resolve));
    const writers = Array.from({ length: 50 }, async (_, i) => {
      await committed;
      await mine.publish([`k${i}`]);
    });
    commit();
    await Promise.all(writers);
    await mine.publish(['later']);
    await eventually(() => messages.length === 2, 'both messages');
    expect(messages.map((m) => (m as { k: string[] }).k)).toEqual([Array.from({ length: 50 }, (_, i) => `k${i}`), ['later']]);
  });

  it('ignores messages that are not invalidations', async () => {
    const bus = new InvalidationBus(pubsub, CHANNEL);
    const heard: (readonly string[])[] = [];
    bus.subscribe((keys) => heard.push(keys));
    for (const junk of ['a', null, 42, { o: 'x' }, { o: 'x', k: 'a' }, { o: 'x', k: [1] }]) await pubsub.publish(CHANNEL, junk);
    await new InvalidationBus(pubsub, CHANNEL).publish(['marker']);
    await eventually(() => heard.length > 0, 'the marker');
    expect(heard).toEqual([['marker']]);
  });
});

for (const adapter of CACHE_ADAPTERS) {
  describe.runIf(adapter.available)(`invalidation by event, caches on ${adapter.name}`, () => {
    let pubsub: MemoryPubSub;
    let caches: CachePort[];
    let source: TestSource<{ v: number }>;
    /** An instance with a cache of its own (as each process has its own LRU), on the shared bus. */
    const instance = () => {
      const cache = adapter.create();
      caches.push(cache);
      return { cache, aside: new CacheAside<{ v: number }>({ cache, prefix: 'p:', ttlMs: 60_000, negativeTtlMs: 60_000, bus: new InvalidationBus(pubsub, CHANNEL) }) };
    };
    /** Resolves once `pubsub` has dispatched a message published after everything so far on CHANNEL. */
    const delivered = async () => {
      // Handlers of one bus instance run in subscription order on each message: a handler added
      // after the instances' has run once theirs have.
      let seen = false;
      const stop = pubsub.subscribe(CHANNEL, (m) => (seen ||= (m as { k?: string[] }).k?.[0] === 'delivered-marker'));
      await new InvalidationBus(pubsub, CHANNEL).publish(['delivered-marker']);
      await eventually(() => seen, 'the invalidation to be dispatched');
      stop();
    };

    beforeEach(() => {
      pubsub = new MemoryPubSub({ namespace: randomUUID() });
      caches = [];
      source = new TestSource();
    });
    afterEach(async () => {
      await pubsub.close();
      for (const cache of caches) await cache.close();
    });

    it("a write through one instance drops the key from the others' caches", async () => {
      const a = instance();
      const b = instance();
      source.data.set('k', { v: 1 });
      expect(await a.aside.get('k', source.load)).toEqual({ v: 1 });
      expect(await b.aside.get('k', source.load)).toEqual({ v: 1 });
      expect(await b.aside.get('absent', source.load)).toBeNull();
      await a.aside.write('k', () => source.write('k', { v: 2 }));
      await a.aside.write('absent', () => source.write('absent', { v: 3 }));
      await eventually(async () => (await b.cache.get('p:k')) === undefined && (await b.cache.get('p:absent')) === undefined, 'b to drop both keys');
      expect(await b.aside.get('k', source.load)).toEqual({ v: 2 });
      expect(await b.aside.get('absent', source.load)).toEqual({ v: 3 });
    });

    it('a load running in another instance when the invalidation arrives does not fill its cache', async () => {
      const a = instance();
      const b = instance();
      source.data.set('k', { v: 1 });
      const release = gate();
      source.beforeLoad = () => release.promise;
      const early = b.aside.get('k', source.load);
      await eventually(() => source.loads === 1, "b's load to read the source");
      source.beforeLoad = undefined;
      await a.aside.write('k', () => source.write('k', { v: 2 }));
      await delivered();
      release.open();
      expect(await early).toEqual({ v: 1 });
      expect(await b.cache.get('p:k')).toBeUndefined();
      expect(await b.aside.get('k', source.load)).toEqual({ v: 2 });
    });

    it('an instance that stopped listening keeps its entry (the TTL bounds it)', async () => {
      const a = instance();
      const b = instance();
      source.data.set('k', { v: 1 });
      await b.aside.get('k', source.load);
      b.aside.close();
      await a.aside.write('k', () => source.write('k', { v: 2 }));
      await delivered();
      expect(await b.aside.get('k', source.load)).toEqual({ v: 1 });
    });
  });
}
