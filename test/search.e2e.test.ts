import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FeedEvent, TweetView } from '../src/modules/feed/index.js';
import { eventsOf } from '../src/platform/outbox/index.js';
import type { PublishInput } from '../src/platform/queue/index.js';
import { startTestApp, waitFor, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

/**
 * Search through the real runtime: tweets are posted and deleted through the feed's API, their
 * events reach the `feed.search` topic through the outbox relay, and results come back as the
 * feed's tweet views plus highlights. Redeliveries are put on `feed.search` directly, as a relay
 * that publishes twice (or late) would.
 */
interface User {
  token: string;
  userId: string;
}

let t: TestApp;
let alice: User;
let bob: User;

async function post(who: User, text: string): Promise<TweetView> {
  const res = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/tweets', headers: bearer(who.token), payload: { text } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as TweetView;
}

async function remove(who: User, tweet: { id: string }): Promise<void> {
  const res = await t.runtime.app.inject({ method: 'DELETE', url: `/api/v1/tweets/${tweet.id}`, headers: bearer(who.token) });
  expect(res.statusCode, res.body).toBe(204);
}

/** Puts events on the search topic directly: a redelivery of what the relay published. */
async function redeliver(...events: FeedEvent[]): Promise<void> {
  await t.runtime.container.queue.publish('feed.search', events.map((payload) => ({ key: payload.type === 'tweet_posted' || payload.type === 'tweet_deleted' ? payload.authorId : null, payload })));
}

/** The `tweet_posted` event the feed published for a tweet it answered. */
const postedEvent = (tw: TweetView): FeedEvent => ({
  type: 'tweet_posted',
  tweetId: tw.id,
  authorId: tw.authorId,
  text: tw.text,
  replyTo: null,
  replyToAuthorId: null,
  mentions: [],
  hashtags: [...tw.text.matchAll(/#(\w+)/g)].map((m) => m[1]!.toLowerCase()),
  createdAt: Date.parse(tw.createdAt),
});

/**
 * Waits for the consumer to have handled every event committed so far: the relay is asynchronous,
 * so first everything in the outbox is moved to the queue, then the topic must be empty.
 */
async function indexed(): Promise<void> {
  await t.runtime.container.outbox!.drain();
  const done = await waitFor(async () => {
    const s = await t.runtime.container.queue.stats('feed.search');
    return s.ready + s.inFlight + s.delayed === 0;
  });
  expect(done).toBe(true);
  expect((await t.runtime.container.queue.stats('feed.search')).deadLettered).toBe(0);
}

async function search(query: Record<string, string>, who?: User) {
  const res = await t.runtime.app.inject({ url: `/api/v1/search?${new URLSearchParams(query)}`, ...(who === undefined ? {} : { headers: bearer(who.token) }) });
  return { status: res.statusCode, body: res.json() as { items: Record<string, unknown>[]; nextCursor: string | null; code?: string } };
}

/**
 * What the index itself holds for a query, before the feed's hydration (which hides deleted tweets
 * whatever the index says).
 */
async function inIndex(q: string): Promise<string[]> {
  return (await t.runtime.container.search.service.tweets(q, { limit: 100 })).items.map((h) => h.id);
}

const idsOf = (items: Record<string, unknown>[]) => items.map((i) => i.id);

/**
 * Holds back the `tweet_posted` events the relay publishes on `feed.search` (everything else goes
 * through) until `release`: the post then arrives late, after what followed it.
 */
function holdSearchPosts() {
  const queue = t.runtime.container.queue;
  const publish = queue.publish.bind(queue);
  const held: PublishInput<FeedEvent[]>[] = [];
  const spy = vi.spyOn(queue, 'publish').mockImplementation(async (topic, messages) => {
    if (topic !== 'feed.search') return publish(topic, messages);
    // The relay publishes batches of events: hold the posts back, let the rest through.
    for (const m of messages as readonly PublishInput<FeedEvent | FeedEvent[]>[]) {
      const events = eventsOf(m.payload);
      const posts = events.filter((e) => e.type === 'tweet_posted');
      const others = events.filter((e) => e.type !== 'tweet_posted');
      if (posts.length > 0) held.push({ ...m, payload: posts });
      if (others.length > 0) await publish(topic, [{ ...m, payload: others }]);
    }
  });
  return {
    held,
    async release() {
      spy.mockRestore();
      await publish('feed.search', held);
    },
  };
}

beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_AUTH: 'off', PASSWORD_HASH_MEMORY_KIB: '8192' });
  alice = await signUp(t, 'alice');
  bob = await signUp(t, 'bob');
  await signUp(t, 'alicia');
  await signUp(t, 'alistair');
  // Words the queries below do not use: the corpus statistics of a real index.
  for (let i = 0; i < 20; i++) await post(bob, `background chatter number ${i} about the weather`);
  await indexed();
});
afterAll(() => t?.close());

describe('GET /api/v1/search?type=tweets', () => {
  it('ranks by relevance then recency, with authors, times, counts and highlights', async () => {
    // Posted one after the other: ids and times in this order.
    const long = await post(alice, 'Some thoughts on TypeScript after a long week of refactoring legacy code at work');
    const dense = await post(bob, 'TypeScript, typescript, TYPESCRIPT!');
    const older = await post(alice, 'TypeScript rocks');
    const newer = await post(bob, 'TypeScript rocks');
    await indexed();
    const { status, body } = await search({ q: 'typescript' });
    expect(status).toBe(200);
    expect(idsOf(body.items)).toEqual([dense.id, newer.id, older.id, long.id]);
    const denseView = {
      id: dense.id,
      authorId: bob.userId,
      author: 'bob',
      text: dense.text,
      createdAt: dense.createdAt,
      likeCount: 0,
      replyCount: 0,
      replyTo: null,
      highlights: [{ start: 0, end: 10 }, { start: 12, end: 22 }, { start: 24, end: 34 }],
    };
    // Anonymous: no likedByMe.
    expect(body.items[0]).toStrictEqual(denseView);
    expect(idsOf((await search({ q: 'typescript rocks' })).body.items)).toEqual([newer.id, older.id]);

    // Hydrated by the feed: today's counts, and likedByMe for a signed-in reader.
    const liked = await t.runtime.app.inject({ method: 'PUT', url: `/api/v1/tweets/${dense.id}/like`, headers: bearer(alice.token) });
    expect(liked.statusCode).toBe(200);
    expect((await search({ q: 'typescript' }, alice)).body.items[0]).toStrictEqual({ ...denseView, likeCount: 1, likedByMe: true });
    expect((await search({ q: 'typescript' }, bob)).body.items[0]).toStrictEqual({ ...denseView, likeCount: 1, likedByMe: false });
  });

  it('matches regardless of case and accents', async () => {
    const tw = await post(alice, 'Crème brûlée at the Café Noir');
    await indexed();
    for (const q of ['creme brulee', 'CAFÉ noir', 'café']) expect(idsOf((await search({ q })).body.items), q).toEqual([tw.id]);
  });

  it('finds an exact hashtag, newest first', async () => {
    const a = await post(alice, 'first #NodeJS post');
    const b = await post(bob, 'second one #nodejs');
    const other = await post(bob, 'a #nodejsconf post');
    await indexed();
    expect(idsOf((await search({ q: '#NodeJS' })).body.items)).toEqual([b.id, a.id]);
    expect(idsOf((await search({ q: '#nodejsconf' })).body.items)).toEqual([other.id]);
  });

  it('shows only tweets the feed knows', async () => {
    const known = await post(alice, 'phantom menace rewatch');
    // Indexed, but no such tweet in the feed: left out of the answer.
    const unknown = '4242424242424242424';
    await redeliver({ type: 'tweet_posted', tweetId: unknown, authorId: alice.userId, text: 'phantom limb', replyTo: null, replyToAuthorId: null, mentions: [], hashtags: [], createdAt: Date.now() });
    await indexed();
    expect((await inIndex('phantom')).sort()).toEqual([known.id, unknown].sort());
    expect(idsOf((await search({ q: 'phantom' })).body.items)).toEqual([known.id]);
  });

  it('answers hostile queries with results or a 400, never a 5xx', async () => {
    const tw = await post(alice, 'quoting "NEAR" OR -minus AND star* gadgets');
    await indexed();
    const hostile = ['"', '"""', '*', 'NEAR(', 'NEAR(a b, 1)', 'OR', 'AND', 'NOT x', '-', '-x', '^', 'text:x', '{text}:x', '(', ')', "'; DROP TABLE search_tweets; --", "1' OR '1'='1", '%', '\\', '#', '##tag', '@', '🙂'];
    for (const q of hostile) {
      const { status, body } = await search({ q });
      expect([200, 400], `${q}: ${status} ${JSON.stringify(body)}`).toContain(status);
      if (status === 400) expect(body.code).toBe('search_query_empty');
    }
    for (const q of ['"NEAR"', 'NEAR(', '-minus', 'star*', 'gadgets OR']) expect(idsOf((await search({ q })).body.items), q).toEqual([tw.id]);
    // The tables are still there.
    expect((await search({ q: 'typescript' })).body.items.length).toBeGreaterThan(0);
  });

  it('refuses empty and oversized queries and foreign cursors with stable codes', async () => {
    expect(await search({ q: '' })).toMatchObject({ status: 400, body: { code: 'search_query_empty' } });
    expect(await search({ q: '   ' })).toMatchObject({ status: 400, body: { code: 'search_query_empty' } });
    expect(await search({ q: 'x'.repeat(257) })).toMatchObject({ status: 400, body: { code: 'search_query_too_long' } });
    expect(await search({ q: 'x'.repeat(5000) })).toMatchObject({ status: 400 });
    expect(await search({ q: 'weather', cursor: 'garbage' })).toMatchObject({ status: 400, body: { code: 'cursor_invalid' } });
    expect((await search({})).status).toBe(400);
  });

  it('pages without repeats while new tweets arrive and old ones are deleted', async () => {
    const batch: TweetView[] = [];
    for (let i = 0; i < 23; i++) batch.push(await post(i % 2 ? alice : bob, `pagination ${'filler '.repeat(i % 5)}${i}`));
    const authorOf = (id: string) => (batch.find((b) => b.id === id)!.authorId === alice.userId ? alice : bob);
    await indexed();
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const { status, body } = await search({ q: 'pagination', limit: '5', ...(cursor === null ? {} : { cursor }) });
      expect(status).toBe(200);
      const ids = idsOf(body.items) as string[];
      seen.push(...ids);
      // A better and a worse match arrive, and the page's first and last results are deleted, between
      // pages: the last one is where the cursor resumes, it must still be found exactly.
      await post(alice, 'pagination');
      await post(bob, `pagination arriving late with many more words than any of the batch ${page}`);
      for (const id of new Set([ids[0], ids.at(-1)])) if (id !== undefined) await remove(authorOf(id), { id });
      await indexed();
      cursor = body.nextCursor;
      if (cursor === null) break;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(batch.map((b) => b.id).sort());
  });

  it('is idempotent under redelivery and forgets deleted tweets, even a delete that comes first', async () => {
    const tw = await post(alice, 'redelivered zeppelin #airship');
    await indexed();
    await redeliver(postedEvent(tw), postedEvent(tw));
    await indexed();
    expect(idsOf((await search({ q: 'zeppelin' })).body.items)).toEqual([tw.id]);
    expect(idsOf((await search({ q: '#airship' })).body.items)).toEqual([tw.id]);

    await remove(alice, tw);
    await indexed();
    const gone: FeedEvent = { type: 'tweet_deleted', tweetId: tw.id, authorId: alice.userId, at: Date.now() };
    // The delete twice more, and the post again after it: the tweet stays forgotten.
    await redeliver(gone, gone, postedEvent(tw));
    await indexed();
    expect((await search({ q: 'zeppelin' })).body.items).toEqual([]);
    expect((await search({ q: '#airship' })).body.items).toEqual([]);
    // The feed hides deleted tweets anyway: the index itself must have forgotten it.
    expect(await inIndex('zeppelin')).toEqual([]);
    expect(await inIndex('#airship')).toEqual([]);

    // The post reaches search only after its delete.
    const hold = holdSearchPosts();
    let early = '';
    try {
      early = (await post(bob, 'zeppelin deleted before indexed #airship')).id;
      await remove(bob, { id: early });
      // The delete is handled; the post is not on the topic yet.
      await indexed();
    } finally {
      await hold.release();
    }
    expect(hold.held.flatMap((m) => m.payload.map((e) => (e as { tweetId: string }).tweetId))).toContain(early);
    await indexed();
    expect((await search({ q: 'zeppelin' })).body.items).toEqual([]);
    expect(await inIndex('zeppelin')).toEqual([]);
    expect(await inIndex('#airship')).toEqual([]);
  });
});

describe('GET /api/v1/search?type=users', () => {
  it('finds users by name prefix, paged', async () => {
    const first = await search({ q: '@Ali', type: 'users', limit: '2' });
    expect(first.status).toBe(200);
    expect(first.body.items.map((u) => u.username)).toEqual(['alice', 'alicia']);
    expect(first.body.items[0]).toEqual({ id: alice.userId, username: 'alice', createdAt: expect.any(String) });
    const second = await search({ q: 'ali', type: 'users', limit: '2', cursor: first.body.nextCursor! });
    expect(second.body.items.map((u) => u.username)).toEqual(['alistair']);
    expect(second.body.nextCursor).toBeNull();
    expect((await search({ q: '%', type: 'users' })).body.items).toEqual([]);
    expect(await search({ q: '@', type: 'users' })).toMatchObject({ status: 400, body: { code: 'search_query_empty' } });
  });
});
