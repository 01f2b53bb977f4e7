import { afterEach, describe, expect, it } from 'vitest';
import { MemoryPubSub } from '../../platform/pubsub/memory/index.js';
import { waitFor } from '../../../test/helpers/test-app.js';
import { tweetView, type Tweet } from './feed.model.js';
import { TweetViews } from './tweet-views.js';

/** A database of tweets and likes in a Map, counting the queries it answers. */
function source() {
  const rows = new Map<bigint, Tweet>();
  const likes = new Map<bigint, Set<bigint>>();
  const queries = { live: 0, likes: 0, byAuthor: 0 };
  let beforeByAuthor: (() => Promise<void>) | undefined;
  return {
    rows,
    likes,
    queries,
    tweets: {
      async liveByIds(ids: readonly bigint[]) {
        queries.live++;
        return ids.flatMap((id) => rows.get(id) ?? []);
      },
      async likesOf(user: bigint, limit: number) {
        queries.likes++;
        return [...(likes.get(user) ?? [])].sort((a, b) => (a < b ? 1 : -1)).slice(0, limit);
      },
      async likedBy(user: bigint, ids: readonly bigint[]) {
        queries.likes++;
        return new Set(ids.filter((id) => likes.get(user)?.has(id)).map(String));
      },
      async byAuthor(author: bigint, limit: number, before?: bigint) {
        queries.byAuthor++;
        const answer = [...rows.values()].filter((t) => BigInt(t.authorId) === author && (before === undefined || BigInt(t.id) < before)).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? 1 : -1)).slice(0, limit);
        await beforeByAuthor?.();
        return answer;
      },
    },
    /** Runs before an author's query answers (after it read its rows). */
    holdByAuthor(hook: (() => Promise<void>) | undefined) {
      beforeByAuthor = hook;
    },
  };
}

const tweet = (id: number, over: Partial<Tweet> = {}): Tweet => ({ id: String(1000 + id), authorId: '7', author: 'ann', text: `t${id} "quoted" é`, replyTo: null, likeCount: 0, replyCount: 0, createdAt: Date.UTC(2026, 0, 1) + id, ...over });

describe('TweetViews', () => {
  const buses: MemoryPubSub[] = [];
  afterEach(async () => {
    for (const bus of buses.splice(0)) await bus.close();
  });

  it("answers an author's pages from the ids and tweets it holds, a post at once, a deleted tweet gone, past its list from the database", async () => {
    const db = source();
    for (let i = 1; i <= 150; i++) db.rows.set(BigInt(1000 + i), tweet(i));
    const views = new TweetViews({ tweets: db.tweets });
    const ids = async (limit: number, before?: bigint) => (await views.byAuthor(7n, limit, before))?.map((t) => Number(t.id) - 1000);
    expect(await ids(3)).toEqual([150, 149, 148]);
    expect(await ids(3, 1148n)).toEqual([147, 146, 145]);
    expect(db.queries).toMatchObject({ byAuthor: 1, live: 0 });
    // A post here is first at once; no query.
    views.posted(tweet(151));
    db.rows.set(1151n, tweet(151));
    expect(await ids(2)).toEqual([151, 150]);
    // A deleted tweet: this page falls to the database (undefined), the next is whole from memory again.
    db.rows.delete(1150n);
    views.forget(1150n);
    expect(await ids(2)).toBeUndefined();
    expect(await ids(2)).toEqual([151, 149]);
    // Past the newest hundred: the database's; a late commit older than the list does not join its end.
    expect(await ids(5, 1052n)).toBeUndefined();
    db.rows.set(1000n, tweet(0));
    views.posted(tweet(0));
    expect(await ids(2, 1052n)).toBeUndefined();
    expect(db.queries.byAuthor).toBe(1);
    // Another author who has fewer than a hundred: their list is complete, the last page short.
    db.rows.set(2001n, tweet(1001, { authorId: '8' }));
    expect((await views.byAuthor(8n, 20))?.map((t) => t.id)).toEqual(['2001']);
  });

  it("does not keep an author's list loaded across their post, and forgets it when another process tells of a post", async () => {
    const db = source();
    db.rows.set(1001n, tweet(1));
    const bus = new MemoryPubSub({ namespace: `views-author-${Date.now()}` });
    buses.push(bus);
    const [here, there] = [new TweetViews({ tweets: db.tweets, bus }), new TweetViews({ tweets: db.tweets, bus })];
    // The load read its rows; the post commits and is told here before the load ends.
    db.holdByAuthor(async () => {
      db.holdByAuthor(undefined);
      db.rows.set(1002n, tweet(2));
      here.posted(tweet(2));
    });
    expect((await here.byAuthor(7n, 5))?.map((t) => t.id)).toEqual(['1001']);
    expect((await here.byAuthor(7n, 5))?.map((t) => t.id)).toEqual(['1002', '1001']);
    expect((await there.byAuthor(7n, 5))?.map((t) => t.id)).toEqual(['1002', '1001']);
    db.rows.set(1003n, tweet(3));
    here.posted(tweet(3));
    await waitFor(async () => (await there.byAuthor(7n, 5))?.[0]?.id === '1003');
  });

  it('answers from memory once it holds a tweet, reads only the misses, and keeps the order asked', async () => {
    const db = source();
    for (const i of [1, 2, 3]) db.rows.set(BigInt(1000 + i), tweet(i));
    const views = new TweetViews({ tweets: db.tweets });
    expect((await views.live([1002n, 1001n, 9n])).map((t) => t.id)).toEqual(['1002', '1001']);
    expect(db.queries.live).toBe(1);
    expect((await views.live([1001n, 1002n])).map((t) => t.id)).toEqual(['1001', '1002']);
    expect(db.queries.live).toBe(1);
    views.posted(tweet(4));
    expect((await views.live([1004n, 1003n])).map((t) => t.id)).toEqual(['1004', '1003']);
    expect(db.queries.live).toBe(2);
  });

  it('renders exactly what serialising the tweet views would, likedByMe from the viewer\'s set', async () => {
    const db = source();
    db.likes.set(5n, new Set([1002n]));
    const views = new TweetViews({ tweets: db.tweets });
    const items = [tweet(2, { likeCount: 1, replyTo: '1001' }), tweet(1)];
    expect(JSON.parse(await views.page({ items, nextCursor: '1001' }, 5n))).toEqual({ items: items.map((t) => tweetView(t, t.id === '1002')), nextCursor: '1001' });
    expect(JSON.parse(await views.page({ items, nextCursor: null }, null))).toEqual({ items: items.map((t) => tweetView(t, undefined)), nextCursor: null });
    await views.render(items, 5n);
    expect(db.queries.likes).toBe(1);
  });

  it('keeps counts current here and has every other process forget what changed', async () => {
    const db = source();
    db.rows.set(1001n, tweet(1));
    const [busA, busB] = [new MemoryPubSub({ namespace: 'views-test' }), new MemoryPubSub({ namespace: 'views-test' })];
    buses.push(busA, busB);
    const [a, b] = [new TweetViews({ tweets: db.tweets, bus: busA }), new TweetViews({ tweets: db.tweets, bus: busB })];
    await Promise.all([busA.ready(), busB.ready()]);
    await a.live([1001n]);
    await b.live([1001n]);
    expect(db.queries.live).toBe(2);
    await b.likedAmong(5n, [tweet(1)]);

    // A like made through process a: a knows the count; b forgets the tweet and the viewer's likes.
    db.rows.set(1001n, tweet(1, { likeCount: 1 }));
    db.likes.set(5n, new Set([1001n]));
    a.liked(5n, 1001n, true, 1);
    expect((await a.live([1001n]))[0]!.likeCount).toBe(1);
    expect(db.queries.live).toBe(2);
    expect(await waitFor(async () => (await b.live([1001n]))[0]!.likeCount === 1)).toBe(true);
    expect([...(await b.likedAmong(5n, [tweet(1)]))]).toEqual(['1001']);

    // Deleted through a: gone from both.
    db.rows.delete(1001n);
    a.forget(1001n);
    expect(await a.live([1001n])).toEqual([]);
    expect(await waitFor(async () => (await b.live([1001n])).length === 0)).toBe(true);
    a.close();
    b.close();
  });

  it('asks the database about likes older than those it loaded', async () => {
    const db = source();
    db.likes.set(5n, new Set(Array.from({ length: 5_010 }, (_, i) => BigInt(10_000 + i))));
    const views = new TweetViews({ tweets: db.tweets });
    const old = tweet(0, { id: '10003' });
    const recent = tweet(0, { id: '15005' });
    expect([...(await views.likedAmong(5n, [old, recent, tweet(0, { id: '20000' })]))].sort()).toEqual(['10003', '15005']);
    expect(db.queries.likes).toBe(2);
  });
});
