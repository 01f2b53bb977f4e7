import { afterEach, describe, expect, it } from 'vitest';
import { MemoryTimelineStore } from '../../platform/timelines/index.js';
import { createFeedHarness, type FeedHarness, type HarnessUser } from './testing/feed-harness.js';
import { describeEachDialect } from '../../platform/sql/testing/test-databases.js';
import { SpyTimelineStore } from './testing/spy-timeline-store.js';

const DAY = 86_400_000;

// A spied store is not in-process to the feed (no `local`): the fan-out is queued, run by `drain`.
describeEachDialect('queued fan-out', (dialect) => {
  let h: FeedHarness;
  let store: SpyTimelineStore;
  afterEach(() => h.close());

  /** An author followed by `count` users who have all read their home timeline once. */
  async function setUp(count: number, celebrityThreshold = 100): Promise<{ author: HarnessUser; followers: HarnessUser[] }> {
    store = new SpyTimelineStore(new MemoryTimelineStore({ capacity: 10 }));
    h = await createFeedHarness({ sql: await dialect.open(), timelines: store, celebrityThreshold, fanoutBatch: 2 });
    const author = h.addUser('author');
    const followers = Array.from({ length: count }, (_, i) => h.addUser(`follower_${i}`));
    for (const f of followers) {
      await h.app.inject({ method: 'PUT', url: '/api/v1/users/author/follow', headers: f.headers });
      await h.app.inject({ url: '/api/v1/timeline/home', headers: f.headers });
    }
    await h.app.inject({ url: '/api/v1/timeline/home', headers: author.headers });
    await h.drain();
    store.calls.length = 0;
    return { author, followers };
  }

  const post = async (user: HarnessUser, text = 'hello') => (await h.app.inject({ method: 'POST', url: '/api/v1/tweets', headers: user.headers, payload: { text } })).json().id as string;
  const home = async (user: HarnessUser) => (await h.app.inject({ url: '/api/v1/timeline/home', headers: user.headers })).json().items.map((t: { id: string }) => t.id);

  it('pushes to the author and every active follower, one store call per batch', async () => {
    const { author, followers } = await setUp(5);
    const id = await post(author);
    // Nothing pushed by the post itself: the author reads their own tweets from the database at once.
    expect(store.take('push')).toEqual([]);
    expect(await home(author)).toEqual([id]);
    const [event] = await h.drain();
    const batches = [[author, followers[0]], [followers[1], followers[2]], [followers[3], followers[4]]].map((b) => b.map((u) => BigInt(u!.id)));
    expect(store.take('push')).toEqual(batches);
    for (const f of followers) expect(await home(f)).toEqual([id]);

    // Redelivered: the same calls, the same timelines (the store deduplicates).
    await h.feed.fanout([event!]);
    expect(store.take('push')).toEqual(batches);
    for (const f of followers) expect(await home(f)).toEqual([id]);
  });

  it('skips followers inactive for longer than inactiveDays; their next read rebuilds the timeline', async () => {
    const { author, followers } = await setUp(3);
    h.clock.advance(2 * DAY);
    await home(followers[1]!);
    store.calls.length = 0;
    const id = await post(author, 'while you were away');
    await h.drain();
    // The author's own timeline was marked inactive too, but an author always gets their tweet.
    expect(store.take('push')).toEqual([[BigInt(author.id), BigInt(followers[1]!.id)]]);
    expect(await home(followers[0]!)).toEqual([id]);
    expect(store.take('replace')).toEqual([[BigInt(followers[0]!.id)]]);
  });

  it('does not fan out a celebrity: followers pull the tweet at read time', async () => {
    const { author, followers } = await setUp(4, 3);
    const id = await post(author, 'to my many followers');
    await h.drain();
    expect(store.take('push')).toEqual([]);
    for (const f of followers) expect(await home(f)).toEqual([id]);
    expect(await home(author)).toEqual([id]);
  });

  it('retracts a deleted tweet in batches, and the removal of an unfollowed author', async () => {
    const { author, followers } = await setUp(3);
    const id = await post(author);
    await h.drain();
    await h.app.inject({ method: 'DELETE', url: `/api/v1/tweets/${id}`, headers: author.headers });
    store.calls.length = 0;
    await h.drain();
    expect(store.take('removeTweet')).toEqual([[author, followers[0]], [followers[1], followers[2]]].map((b) => b.map((u) => BigInt(u!.id))));

    const kept = await post(author);
    await h.drain();
    await h.app.inject({ method: 'DELETE', url: '/api/v1/users/author/follow', headers: followers[0]!.headers });
    store.calls.length = 0;
    await h.drain();
    expect(store.take('removeAuthor')).toEqual([[BigInt(followers[0]!.id)]]);
    expect(await home(followers[0]!)).toEqual([]);
    expect(await home(followers[1]!)).toEqual([kept]);
  });

  it('acts on the state of now: an old unfollow redelivered after a re-follow removes nothing', async () => {
    const { followers } = await setUp(1);
    const follower = followers[0]!;
    await h.app.inject({ method: 'DELETE', url: '/api/v1/users/author/follow', headers: follower.headers });
    const [unfollowed] = await h.drain();
    await h.app.inject({ method: 'PUT', url: '/api/v1/users/author/follow', headers: follower.headers });
    expect(store.take('drop')).toEqual([[BigInt(follower.id)]]);
    // Dropped at once, and again by the consumer (a read that raced the follow may have rebuilt it without the author).
    const [followed] = await h.drain();
    expect(store.take('drop')).toEqual([[BigInt(follower.id)]]);
    await h.feed.fanout([unfollowed!]);
    expect(store.take('removeAuthor')).toEqual([]);
    await h.app.inject({ method: 'DELETE', url: '/api/v1/users/author/follow', headers: follower.headers });
    await h.feed.fanout([followed!]);
    expect(store.take('drop')).toEqual([]);
    expect(await home(follower)).toEqual([]);
  });
});

// The in-process store: every change reaches the timelines inline, right after its commit.
describeEachDialect('inline fan-out', (dialect) => {
  let h: FeedHarness;
  let store: MemoryTimelineStore;
  afterEach(() => h.close());

  async function setUp(count: number, celebrityThreshold = 100, capacity = 10): Promise<{ author: HarnessUser; followers: HarnessUser[] }> {
    store = new MemoryTimelineStore({ capacity });
    h = await createFeedHarness({ sql: await dialect.open(), timelines: store, celebrityThreshold });
    const author = h.addUser('author');
    const followers = Array.from({ length: count }, (_, i) => h.addUser(`follower_${i}`));
    for (const f of followers) {
      await h.app.inject({ method: 'PUT', url: '/api/v1/users/author/follow', headers: f.headers });
      await h.app.inject({ url: '/api/v1/timeline/home', headers: f.headers });
    }
    await h.app.inject({ url: '/api/v1/timeline/home', headers: author.headers });
    return { author, followers };
  }
  const post = async (user: HarnessUser, text = 'hello') => (await h.app.inject({ method: 'POST', url: '/api/v1/tweets', headers: user.headers, payload: { text } })).json().id as string;
  const cached = async (user: HarnessUser) => (await store.range(BigInt(user.id), 100))?.map((e) => e.tweetId.toString()) ?? null;
  const home = async (user: HarnessUser) => (await h.app.inject({ url: '/api/v1/timeline/home', headers: user.headers })).json().items.map((t: { id: string }) => t.id);

  it('is inline: the feed reports it, and relays nothing to the fan-out topic', async () => {
    await setUp(0);
    expect(h.feed.fanoutMode).toBe('inline');
    expect(h.feed.relayRoutes['feed.events']).not.toContain('feed.fanout');
  });

  it('pushes a tweet into the author\'s and every active follower\'s cached timeline before the post answers, and tells listeners', async () => {
    const { author, followers } = await setUp(3);
    const delivered: number[] = [];
    const changed: string[][] = [];
    h.feed.listen({ onDelivered: (count) => delivered.push(count), onChanged: (users) => changed.push(users.map(String)) });
    h.clock.advance(2 * DAY);
    await home(followers[1]!);
    const id = await post(author);
    // Nothing drained: the cache has it already; followers[0] and [2] were inactive, skipped.
    expect(await cached(author)).toEqual([id]);
    expect(await cached(followers[1]!)).toEqual([id]);
    expect(await cached(followers[0]!)).toEqual([]);
    expect(delivered).toEqual([2]);
    expect(changed).toEqual([[author.id, followers[1]!.id]]);
    // Nobody watching live (no stream open): deliveries are counted, their users not gathered.
    h.feed.listen({ watching: () => false });
    await post(author, 'unwatched');
    expect(delivered).toEqual([2, 2]);
    expect(changed).toHaveLength(1);
    // The inactive ones rebuild on their next read.
    expect((await home(followers[0]!))[1]).toEqual(id);
    expect(h.published('feed.fanout')).toEqual([]);
    await h.drain();
    expect(h.published('feed.search').map((e) => e.type)).toContain('tweet_posted');
  });

  it('does not push a celebrity\'s tweet: readers pull it', async () => {
    const { author, followers } = await setUp(3, 2);
    const id = await post(author);
    expect(await cached(followers[0]!)).toEqual([]);
    expect(await home(followers[0]!)).toEqual([id]);
  });

  it('retracts deletes and unfollows at once', async () => {
    const { author, followers } = await setUp(2);
    const gone = await post(author, 'gone');
    const kept = await post(author, 'kept');
    await h.app.inject({ method: 'DELETE', url: `/api/v1/tweets/${gone}`, headers: author.headers });
    expect(await cached(followers[0]!)).toEqual([kept]);
    await h.app.inject({ method: 'DELETE', url: '/api/v1/users/author/follow', headers: followers[0]!.headers });
    expect(await cached(followers[0]!)).toEqual([]);
    expect(await cached(followers[1]!)).toEqual([kept]);
    expect(await home(followers[0]!)).toEqual([]);
  });

  it('merges a newly followed author\'s tweets into a full timeline, and drops a partial one to be rebuilt', async () => {
    const { author, followers } = await setUp(1, 100, 4);
    const [reader] = followers;
    const other = h.addUser('other');
    const older = await post(other, 'before the window');
    const own: string[] = [];
    for (let i = 0; i < 4; i++) own.push(await post(author, `a${i}`));
    const inWindow = await post(other, 'inside the window');
    const newest = await post(author, 'newest');
    expect(await cached(reader!)).toEqual([newest, own[3], own[2], own[1]]);
    await h.app.inject({ method: 'PUT', url: '/api/v1/users/other/follow', headers: reader!.headers });
    // Full: the other author's tweets newer than the oldest cached one are merged in; older ones are past the cache.
    expect(await cached(reader!)).toEqual([newest, inWindow, own[3], own[2]]);
    const pages = (await h.app.inject({ url: '/api/v1/timeline/home?limit=10', headers: reader!.headers })).json().items.map((t: { id: string }) => t.id);
    expect(pages).toEqual([newest, inWindow, ...[...own].reverse(), older]);

    const fresh = h.addUser('fresh');
    await home(fresh);
    expect(await cached(fresh)).toEqual([]);
    await h.app.inject({ method: 'PUT', url: '/api/v1/users/author/follow', headers: fresh.headers });
    expect(await cached(fresh)).toBeNull();
    expect((await home(fresh)).length).toBe(5);
  });

  it('loads the follower graph from the database at start', async () => {
    const { author, followers } = await setUp(2);
    const restarted = await createFeedHarness({ sql: h.sql, timelines: new MemoryTimelineStore({ capacity: 10 }), celebrityThreshold: 100, keepSql: true });
    try {
      const again = restarted.addUser('author', author);
      await restarted.feed.homeTimeline(followers[0]!.id, { limit: 5 });
      const id = (await restarted.app.inject({ method: 'POST', url: '/api/v1/tweets', headers: again.headers, payload: { text: 'after restart' } })).json().id as string;
      expect((await restarted.timelines.range(BigInt(followers[0]!.id), 5))!.map((e) => e.tweetId.toString())).toEqual([id]);
    } finally {
      await restarted.close();
    }
  });
});

describe('relay routes', () => {
  it('send the fan-out topic only what a queued fan-out needs', async () => {
    const { feedRelayRoutes } = await import('./feed.events.js');
    expect(feedRelayRoutes('queued')).toEqual({ 'feed.events': ['feed.fanout', 'feed.notifications', 'feed.search'], 'feed.reads': ['feed.fanout'] });
    expect(feedRelayRoutes('inline')).toEqual({ 'feed.events': ['feed.notifications', 'feed.search'], 'feed.reads': [] });
  });
});
