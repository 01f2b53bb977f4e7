import { afterEach, expect, it } from 'vitest';
import { snowflakeTime } from '../../platform/ids/index.js';
import { MemoryTimelineStore, type TimelineStore } from '../../platform/timelines/index.js';
import { snowflakeFloor } from './home-timeline.js';
import { createFeedHarness, type FeedHarness, type HarnessUser } from './testing/feed-harness.js';
import { describeEachDialect } from '../../platform/sql/testing/test-databases.js';
import { SpyTimelineStore } from './testing/spy-timeline-store.js';

describeEachDialect('home timeline', (dialect) => {
  let h: FeedHarness;
  let store: SpyTimelineStore;
  afterEach(() => h.close());

  async function setUp(): Promise<[HarnessUser, HarnessUser]> {
    store = new SpyTimelineStore(new MemoryTimelineStore({ capacity: 10 }));
    h = await createFeedHarness({ sql: await dialect.open(), timelines: store, celebrityThreshold: 100 });
    const reader = h.addUser('reader');
    const author = h.addUser('author');
    await h.app.inject({ method: 'PUT', url: '/api/v1/users/author/follow', headers: reader.headers });
    return [reader, author];
  }
  const post = async (user: HarnessUser) => (await h.app.inject({ method: 'POST', url: '/api/v1/tweets', headers: user.headers, payload: { text: 'x' } })).json().id as string;
  const home = async (user: HarnessUser, query = '') => (await h.app.inject({ url: `/api/v1/timeline/home${query}`, headers: user.headers })).json();

  it('keeps a tweet committed during a rebuild, whose fan-out found no timeline to push to', async () => {
    const [reader, author] = await setUp();
    const before = await post(author);
    await h.drain();
    let during = '';
    // The rebuild has read the database; the tweet commits and fans out before the cache is replaced.
    store.beforeReplace = async () => {
      during = await post(author);
      await h.drain();
    };
    expect((await home(reader)).items.map((t: { id: string }) => t.id)).toEqual([during, before]);
    expect((await home(reader)).items.map((t: { id: string }) => t.id)).toEqual([during, before]);
    expect(await store.range(BigInt(reader.id), 10)).toHaveLength(2);
  });

  it('writes last_read_at at most every ten minutes', async () => {
    const [reader] = await setUp();
    const lastRead = async () => (await h.sql.db.selectFrom('feed_users' as never).select('last_read_at' as never).where('user_id' as never, '=', BigInt(reader.id) as never).executeTakeFirst()) as { last_read_at: number } | undefined;
    await home(reader);
    const first = (await lastRead())!.last_read_at;
    h.clock.advance(9 * 60_000);
    await home(reader);
    expect((await lastRead())!.last_read_at).toBe(first);
    h.clock.advance(2 * 60_000);
    await home(reader);
    expect((await lastRead())!.last_read_at).toBe(first + 11 * 60_000);
  });

  it('continues past the cached ids from the database, then after a lost cache, without repeats', async () => {
    const [reader, author] = await setUp();
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push(await post(author));
    await h.drain();
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const page = await home(reader, `?limit=4${cursor === null ? '' : `&cursor=${cursor}`}`);
      pages.push(page.items.map((t: { id: string }) => t.id));
      cursor = page.nextCursor;
      // The store is lost half-way (restart, eviction): the rest still follows on.
      if (pages.length === 3) await store.drop(BigInt(reader.id));
    } while (cursor !== null);
    expect(pages.flat()).toEqual([...ids].reverse());
    expect(pages.slice(0, -1).every((p) => p.length === 4)).toBe(true);
  });

  it('refuses a cursor it did not give out, and anonymous readers', async () => {
    const [reader] = await setUp();
    expect((await home(reader, '?cursor=abc')).code).toBe('cursor_invalid');
    expect((await home(reader, '?limit=101')).code).toBe('validation_failed');
    expect((await h.app.inject({ url: '/api/v1/timeline/home' })).statusCode).toBe(401);
  });

  it('answers from the database alone while the store fails', async () => {
    const down = () => Promise.reject(new Error('store down'));
    const broken: TimelineStore = { capacity: 10, push: down, range: down, replace: down, removeTweet: down, removeAuthor: down, drop: down, size: down, ping: down, close: async () => undefined };
    const errors: unknown[] = [];
    h = await createFeedHarness({ sql: await dialect.open(), timelines: broken, onTimelineError: (e) => errors.push(e) });
    const [reader, author] = [h.addUser('reader'), h.addUser('author')];
    expect((await h.app.inject({ method: 'PUT', url: '/api/v1/users/author/follow', headers: reader.headers })).statusCode).toBe(200);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await post(author));
    await expect(h.drain()).rejects.toThrow('store down'); // fan-out fails: the queue would retry it
    const first = await home(reader, '?limit=5');
    const rest = await home(reader, `?limit=20&cursor=${first.nextCursor}`);
    expect([...first.items, ...rest.items].map((t: { id: string }) => t.id)).toEqual([...ids].reverse());
    expect(errors.length).toBeGreaterThan(0);
  });

  it('floors snowflake ids at a time', () => {
    const at = Date.UTC(2026, 6, 1, 12);
    expect(snowflakeTime(snowflakeFloor(at))).toBe(at);
    expect(snowflakeTime(snowflakeFloor(at) - 1n)).toBe(at - 1);
  });
});

describeEachDialect('likes and counters', (dialect) => {
  let h: FeedHarness;
  afterEach(() => h.close());

  it('counts concurrent and repeated likes exactly once per user, and each change emits one event', async () => {
    h = await createFeedHarness({ sql: await dialect.open(), timelines: new MemoryTimelineStore({ capacity: 10 }) });
    const author = h.addUser('author');
    const fans = Array.from({ length: 12 }, (_, i) => h.addUser(`fan_${i}`));
    const id = (await h.app.inject({ method: 'POST', url: '/api/v1/tweets', headers: author.headers, payload: { text: 'like me' } })).json().id;
    const like = (u: HarnessUser, method: 'PUT' | 'DELETE') => h.app.inject({ method, url: `/api/v1/tweets/${id}/like`, headers: u.headers });
    await Promise.all(fans.flatMap((f) => [like(f, 'PUT'), like(f, 'PUT'), like(f, 'PUT')]));
    expect((await like(author, 'PUT')).json()).toEqual({ likeCount: 13 });
    await Promise.all(fans.slice(0, 5).flatMap((f) => [like(f, 'DELETE'), like(f, 'DELETE')]));
    expect((await like(author, 'DELETE')).json()).toEqual({ likeCount: 7 });
    expect((await h.app.inject({ url: `/api/v1/tweets/${id}`, headers: fans[0]!.headers })).json()).toMatchObject({ likeCount: 7, likedByMe: false });
    expect((await h.app.inject({ url: `/api/v1/tweets/${id}`, headers: fans[9]!.headers })).json()).toMatchObject({ likeCount: 7, likedByMe: true });
    expect((await h.app.inject({ url: `/api/v1/tweets/${id}` })).json()).not.toHaveProperty('likedByMe');
    await h.drain();
    expect(h.published('feed.notifications').filter((e) => e.type === 'tweet_liked')).toHaveLength(13);
  });

  it('keeps follower, following and tweet counts, replies counted on the parent, and carries mentions and tags', async () => {
    h = await createFeedHarness({ sql: await dialect.open(), timelines: new MemoryTimelineStore({ capacity: 10 }) });
    const [a, b, c] = ['ann', 'ben', 'cat'].map((n) => h.addUser(n)) as [HarnessUser, HarnessUser, HarnessUser];
    const put = (u: HarnessUser, whom: string, method: 'PUT' | 'DELETE' = 'PUT') => h.app.inject({ method, url: `/api/v1/users/${whom}/follow`, headers: u.headers });
    await Promise.all([put(b, 'ann'), put(b, 'ann'), put(c, 'ann'), put(a, 'ben'), put(c, 'ben', 'DELETE')]);
    const parent = (await h.app.inject({ method: 'POST', url: '/api/v1/tweets', headers: a.headers, payload: { text: 'Hi @Ben and @nobody #Intro' } })).json();
    const reply = (await h.app.inject({ method: 'POST', url: '/api/v1/tweets', headers: b.headers, payload: { text: '@ann welcome', replyTo: parent.id } })).json();
    expect(reply.replyTo).toBe(parent.id);
    expect((await h.app.inject({ url: `/api/v1/tweets/${parent.id}` })).json().replyCount).toBe(1);
    const profile = (await h.app.inject({ url: '/api/v1/users/ANN' })).json();
    expect(profile).toMatchObject({ username: 'ann', displayName: 'ann', followers: 2, following: 1, tweets: 1 });
    await h.app.inject({ method: 'DELETE', url: `/api/v1/tweets/${reply.id}`, headers: b.headers });
    expect((await h.app.inject({ url: `/api/v1/tweets/${parent.id}` })).json().replyCount).toBe(0);
    expect((await h.app.inject({ url: '/api/v1/users/ben' })).json()).toMatchObject({ followers: 1, following: 1, tweets: 0 });
    await h.drain();
    const posted = h.published('feed.search').filter((e) => e.type === 'tweet_posted');
    expect(posted[0]).toMatchObject({ authorId: a.id, mentions: [b.id], hashtags: ['intro'], replyTo: null, replyToAuthorId: null });
    expect(posted[1]).toMatchObject({ authorId: b.id, mentions: [a.id], replyTo: parent.id, replyToAuthorId: a.id });
    const followers = (await h.app.inject({ url: '/api/v1/users/ann/followers?limit=1' })).json();
    expect(followers.items).toHaveLength(1);
    const rest = (await h.app.inject({ url: `/api/v1/users/ann/followers?limit=1&cursor=${followers.nextCursor}` })).json();
    expect([...followers.items, ...rest.items].map((u: { username: string }) => u.username).sort()).toEqual(['ben', 'cat']);
  });
});
