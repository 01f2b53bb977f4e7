import { afterEach, expect, it } from 'vitest';
import { MemoryTimelineStore } from '../../platform/timelines/index.js';
import { createFeedHarness, type FeedHarness, type HarnessUser } from './testing/feed-harness.js';
import { describeEachDialect } from '../../platform/sql/testing/test-databases.js';
import { SpyTimelineStore } from './testing/spy-timeline-store.js';

const DAY = 86_400_000;

describeEachDialect('fan-out', (dialect) => {
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

  it('pushes to the author and every active follower, one store call per batch, and reports deliveries', async () => {
    const { author, followers } = await setUp(5);
    const id = await post(author);
    expect(store.take('push')).toEqual([[BigInt(author.id)]]); // the author's own read-your-writes push
    const [event] = await h.drain();
    expect(store.take('push')).toEqual([[author, followers[0]], [followers[1], followers[2]], [followers[3], followers[4]]].map((b) => b.map((u) => BigInt(u!.id))));
    for (const f of followers) expect(await home(f)).toEqual([id]);

    // Redelivered: the same calls, the same timelines (the store deduplicates), reported again.
    const delivered: [number, number][] = [];
    await h.feed.fanout(event!, { onDelivered: (count, postedAt) => delivered.push([count, postedAt]) });
    expect(delivered).toEqual([[2, h.clock.now()], [2, h.clock.now()], [2, h.clock.now()]]);
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
    expect(store.take('push')).toEqual([[BigInt(author.id)], [BigInt(author.id), BigInt(followers[1]!.id)]]);
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
    const [followed] = await h.drain();
    expect(store.take('drop')).toEqual([[BigInt(follower.id)]]);
    await h.feed.fanout(unfollowed!);
    expect(store.take('removeAuthor')).toEqual([]);
    await h.app.inject({ method: 'DELETE', url: '/api/v1/users/author/follow', headers: follower.headers });
    await h.feed.fanout(followed!);
    expect(store.take('drop')).toEqual([]);
  });
});
