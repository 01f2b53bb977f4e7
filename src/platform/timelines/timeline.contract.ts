import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ID } from './timeline.entries.js';
import type { TimelineEntry, TimelineStore } from './timeline.port.js';
import { modelCases } from './testing/model.cases.js';

/** How the contract gets a store. */
export interface TimelineContractFactory {
  /** A store on fresh state (no timeline exists) keeping `capacity` entries per timeline. */
  create(capacity: number): Promise<TimelineStore>;
  /** After each test, for each store it created: release it and whatever it left (default: `store.close()`). */
  dispose?(store: TimelineStore): Promise<void>;
}

/** An entry from small numbers. */
export const entry = (tweetId: number | bigint, authorId: number | bigint = 1): TimelineEntry => ({ tweetId: BigInt(tweetId), authorId: BigInt(authorId) });

/** The tweet ids of a page, as numbers (null stays null), for readable assertions. */
const tweets = (page: TimelineEntry[] | null): number[] | null => page?.map((e) => Number(e.tweetId)) ?? null;

const U = 42n;

/**
 * The behaviour every timeline store promises (see timeline.port.ts): order, dedup, the cap, pages,
 * absent versus empty timelines, rebuilds, retractions, 64-bit ids, big batches, and a model test
 * over random operation sequences. Each store's test calls this.
 */
export function runTimelineContract(name: string, factory: TimelineContractFactory): void {
  describe(`${name} (timeline contract)`, () => {
    const opened: TimelineStore[] = [];
    const open = async (capacity = 800): Promise<TimelineStore> => {
      const store = await factory.create(capacity);
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of opened.splice(0)) await (factory.dispose ? factory.dispose(store) : store.close());
    });

    it('has the capacity it was created with, and answers ping', async () => {
      const store = await open(5);
      expect(store.capacity).toBe(5);
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('an absent timeline reads null, and nothing but replace creates it', async () => {
      const store = await open();
      expect(await store.range(U, 10)).toBeNull();
      await store.push([U], entry(1));
      await store.removeTweet([U], 1n);
      await store.removeAuthor(U, 1n);
      await store.drop(U);
      expect(await store.range(U, 10)).toBeNull();
      expect(await store.range(U, 10, 5n)).toBeNull();
      expect(await store.size()).toBe(0);
    });

    it('an empty replace creates an existing, empty timeline that pushes then fill', async () => {
      const store = await open();
      await store.replace(U, []);
      expect(await store.range(U, 10)).toEqual([]);
      expect(await store.range(U, 10, 3n)).toEqual([]);
      await store.push([U], entry(7, 3));
      expect(await store.range(U, 10)).toEqual([entry(7, 3)]);
    });

    it('keeps entries newest first; out-of-order pushes land in place', async () => {
      const store = await open();
      await store.replace(U, []);
      for (const t of [30, 10, 20, 50, 40, 5, 60]) await store.push([U], entry(t, t % 7));
      expect(await store.range(U, 100)).toEqual([60, 50, 40, 30, 20, 10, 5].map((t) => entry(t, t % 7)));
    });

    it('dedups a tweet pushed twice, in one call and in two (the first author stays)', async () => {
      const store = await open();
      await store.replace(U, [entry(1)]);
      await store.push([U, U], entry(2, 9));
      await store.push([U], entry(2, 9));
      await store.push([U], entry(2, 8));
      await store.push([U], entry(1, 5));
      expect(await store.range(U, 10)).toEqual([entry(2, 9), entry(1, 1)]);
    });

    it('trims to capacity: the oldest fall off, and an entry older than a full timeline is dropped', async () => {
      const store = await open(3);
      await store.replace(U, []);
      for (const t of [10, 20, 30, 40]) await store.push([U], entry(t));
      expect(tweets(await store.range(U, 10))).toEqual([40, 30, 20]);
      await store.push([U], entry(25));
      expect(tweets(await store.range(U, 10))).toEqual([40, 30, 25]);
      await store.push([U], entry(5));
      await store.push([U], entry(0));
      expect(tweets(await store.range(U, 10))).toEqual([40, 30, 25]);
      for (let t = 41; t < 100; t++) await store.push([U], entry(t));
      expect(tweets(await store.range(U, 10))).toEqual([99, 98, 97]);
    });

    it('pages with limit and before', async () => {
      const store = await open();
      await store.replace(U, Array.from({ length: 10 }, (_, i) => entry(2 * (i + 1))));
      expect(tweets(await store.range(U, 3))).toEqual([20, 18, 16]);
      expect(tweets(await store.range(U, 3, 16n))).toEqual([14, 12, 10]);
      expect(tweets(await store.range(U, 3, 15n))).toEqual([14, 12, 10]);
      expect(tweets(await store.range(U, 100, 7n))).toEqual([6, 4, 2]);
      expect(tweets(await store.range(U, 100, 2n))).toEqual([]);
      expect(tweets(await store.range(U, 100, 0n))).toEqual([]);
      expect(tweets(await store.range(U, 2, 1000n))).toEqual([20, 18]);
      expect(tweets(await store.range(U, 2, MAX_ID + 1n))).toEqual([20, 18]);
      expect(tweets(await store.range(U, 0))).toEqual([]);
      expect(tweets(await store.range(U, 0, 10n))).toEqual([]);
      expect(await store.range(U, 1000)).toHaveLength(10);
      await expect(store.range(U, -1)).rejects.toThrow(RangeError);
      await expect(store.range(U, 1.5)).rejects.toThrow(RangeError);
    });

    it('replace sorts, dedups (first wins) and trims an unsorted list, and replaces what was there', async () => {
      const store = await open(4);
      await store.replace(U, [entry(100), entry(101)]);
      await store.replace(U, [entry(3, 1), entry(9, 2), entry(1, 3), entry(9, 4), entry(7, 5), entry(3, 6), entry(5, 7), entry(8, 8)]);
      expect(await store.range(U, 10)).toEqual([entry(9, 2), entry(8, 8), entry(7, 5), entry(5, 7)]);
      expect(await store.size()).toBe(1);
    });

    it('removes a tweet across a batch, leaving emptied timelines existing', async () => {
      const store = await open();
      const users = [1n, 2n, 3n, 4n];
      await store.replace(1n, [entry(5), entry(6)]);
      await store.replace(2n, [entry(6)]);
      await store.replace(3n, [entry(7)]);
      await store.removeTweet([...users, 1n], 6n);
      expect(tweets(await store.range(1n, 10))).toEqual([5]);
      expect(tweets(await store.range(2n, 10))).toEqual([]);
      expect(tweets(await store.range(3n, 10))).toEqual([7]);
      expect(await store.range(4n, 10)).toBeNull();
      await store.removeTweet([], 5n);
      expect(tweets(await store.range(1n, 10))).toEqual([5]);
    });

    it('removes every entry of an author from one timeline, keeping the order of the rest', async () => {
      const store = await open();
      const all = Array.from({ length: 40 }, (_, i) => entry(i + 1, i % 3));
      await store.replace(U, all);
      await store.replace(U + 1n, all);
      await store.removeAuthor(U, 1n);
      const expected = all.filter((e) => e.authorId !== 1n).reverse();
      expect(await store.range(U, 100)).toEqual(expected);
      expect(await store.range(U + 1n, 100)).toHaveLength(40);
      await store.removeAuthor(U, 0n);
      await store.removeAuthor(U, 2n);
      expect(await store.range(U, 100)).toEqual([]);
    });

    it('drop forgets a timeline: reads null, pushes skip it, size counts it out', async () => {
      const store = await open();
      await store.replace(1n, [entry(1)]);
      await store.replace(2n, [entry(1)]);
      await store.replace(2n, [entry(2)]);
      expect(await store.size()).toBe(2);
      await store.drop(1n);
      await store.drop(1n);
      expect(await store.size()).toBe(1);
      expect(await store.range(1n, 10)).toBeNull();
      await store.push([1n, 2n], entry(3));
      expect(await store.range(1n, 10)).toBeNull();
      expect(tweets(await store.range(2n, 10))).toEqual([3, 2]);
    });

    it('round-trips 64-bit ids exactly (above 2^53, up to 2^63 - 1) and orders them', async () => {
      const store = await open();
      const big = [2n ** 53n + 1n, 2n ** 53n, MAX_ID, MAX_ID - 1n, 2n ** 62n, 2n ** 32n + 1n, 2n ** 32n, 2n ** 32n - 1n, 0n];
      await store.replace(U, []);
      for (const t of big) await store.push([U], { tweetId: t, authorId: MAX_ID - t });
      const page = await store.range(U, 100);
      const sorted = [...big].sort((a, b) => (a > b ? -1 : 1));
      expect(page).toEqual(sorted.map((t) => ({ tweetId: t, authorId: MAX_ID - t })));
      expect((await store.range(U, 2, MAX_ID))?.map((e) => e.tweetId)).toEqual([MAX_ID - 1n, 2n ** 62n]);
      await store.removeAuthor(U, MAX_ID);
      await store.removeTweet([U], 2n ** 53n + 1n);
      expect((await store.range(U, 100))?.map((e) => e.tweetId)).toEqual(sorted.filter((t) => t !== 0n && t !== 2n ** 53n + 1n));
    });

    it('rejects ids outside [0, 2^63 - 1]', async () => {
      const store = await open();
      await store.replace(U, []);
      await expect(store.push([U], { tweetId: -1n, authorId: 1n })).rejects.toThrow(RangeError);
      await expect(store.push([U], { tweetId: 1n, authorId: MAX_ID + 1n })).rejects.toThrow(RangeError);
      await expect(store.replace(U, [entry(MAX_ID + 1n)])).rejects.toThrow(RangeError);
      await expect(store.removeTweet([U], -5n)).rejects.toThrow(RangeError);
      expect(await store.range(U, 10)).toEqual([]);
    });

    it('pushes to a batch of 5,000 followers in one call, skipping the absent half', async () => {
      const store = await open(50);
      const users = Array.from({ length: 5_000 }, (_, i) => 1_000_000n + BigInt(i));
      const present = users.filter((_, i) => i % 2 === 0);
      await Promise.all(present.map((u) => store.replace(u, [entry(1)])));
      await store.push(users, entry(2, 7));
      const pages = await Promise.all(users.map((u) => store.range(u, 10)));
      pages.forEach((page, i) => expect(page).toEqual(i % 2 === 0 ? [entry(2, 7), entry(1)] : null));
      await store.removeTweet(users, 1n);
      expect(await store.range(present[present.length - 1]!, 10)).toEqual([entry(2, 7)]);
      expect(await store.size()).toBe(2_500);
    });

    modelCases(open);
  });
}
