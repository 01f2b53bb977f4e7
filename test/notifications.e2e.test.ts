import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedEvent } from '../src/modules/feed/index.js';
import { openSse } from '../src/modules/stream/testing/sse-reader.js';
import { startTestApp, waitFor, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

/**
 * Notifications through the real runtime. Feed events are put on the `feed.notifications` topic
 * directly, as the outbox relay does, so these tests do not depend on the feed module.
 */
interface User {
  token: string;
  userId: string;
}

async function publish(t: TestApp, ...events: FeedEvent[]): Promise<void> {
  await t.runtime.container.queue.publish('feed.notifications', events.map((payload) => ({ payload })));
}

async function handled(t: TestApp): Promise<void> {
  const done = await waitFor(async () => {
    const s = await t.runtime.container.queue.stats('feed.notifications');
    return s.ready + s.inFlight + s.delayed === 0;
  });
  expect(done).toBe(true);
}

type Item = { id: string; kind: string; actor: { id: string; username: string | null }; tweetId?: string; createdAt: string; read: boolean };
type Page = { items: Item[]; nextCursor: string | null; unread: number };

async function list(t: TestApp, user: User, query = ''): Promise<Page> {
  const res = await t.runtime.app.inject({ url: `/api/v1/notifications${query}`, headers: bearer(user.token) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Page;
}

async function markRead(t: TestApp, user: User, body?: object) {
  const res = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/notifications/read', headers: bearer(user.token), ...(body === undefined ? {} : { payload: body }) });
  return { status: res.statusCode, body: res.json() as { unread?: number; code?: string } };
}

const posted = (authorId: string, tweetId: string, more: Partial<Extract<FeedEvent, { type: 'tweet_posted' }>> = {}): FeedEvent => ({
  type: 'tweet_posted', tweetId, authorId, text: 'hello', replyTo: null, replyToAuthorId: null, mentions: [], hashtags: [], createdAt: Date.UTC(2026, 2, 1), ...more,
});

describe('notifications (consumers inline)', () => {
  let t: TestApp;
  let alice: User;
  let bob: User;
  let carol: User;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_AUTH: 'off' });
    [alice, bob, carol] = [await signUp(t, 'alice'), await signUp(t, 'bob'), await signUp(t, 'carol')];
  });
  afterAll(() => t?.close());

  it('notifies mentions, replies, likes and follows, never to oneself, once each under redelivery', async () => {
    const events: FeedEvent[] = [
      { type: 'user_followed', followerId: bob.userId, followeeId: alice.userId, at: Date.UTC(2026, 2, 1, 10) },
      { type: 'tweet_liked', tweetId: '501', authorId: alice.userId, userId: carol.userId, at: Date.UTC(2026, 2, 1, 11) },
      { type: 'tweet_liked', tweetId: '501', authorId: alice.userId, userId: alice.userId, at: Date.UTC(2026, 2, 1, 11) },
      posted(bob.userId, '502', { mentions: [alice.userId, carol.userId, bob.userId] }),
      posted(carol.userId, '503', { replyTo: '501', replyToAuthorId: alice.userId, mentions: [alice.userId] }),
      posted(alice.userId, '504', { replyTo: '501', replyToAuthorId: alice.userId, mentions: [alice.userId] }),
    ];
    await publish(t, ...events);
    // Redelivered, as after a crash between handling and acknowledging.
    await publish(t, ...events);
    await handled(t);
    const page = await list(t, alice);
    expect(page.items.map((n) => [n.kind, n.actor.username, n.tweetId ?? null, n.read])).toEqual([
      ['reply', 'carol', '503', false],
      ['mention', 'bob', '502', false],
      ['like', 'carol', '501', false],
      ['follow', 'bob', null, false],
    ]);
    expect(page.items[3]).toEqual({ id: expect.stringMatching(/^\d+$/), kind: 'follow', actor: { id: bob.userId, username: 'bob' }, createdAt: '2026-03-01T10:00:00.000Z', read: false });
    expect(page.unread).toBe(4);
    expect((await list(t, carol)).items.map((n) => [n.kind, n.actor.username])).toEqual([['mention', 'bob']]);
    expect((await list(t, bob)).items).toEqual([]);
  });

  it('pages, and marks read up to an id or all', async () => {
    const dave = await signUp(t, 'dave');
    const likes = Array.from({ length: 5 }, (_, i): FeedEvent => ({ type: 'tweet_liked', tweetId: `60${i}`, authorId: dave.userId, userId: alice.userId, at: Date.UTC(2026, 2, 2, i) }));
    await publish(t, ...likes);
    await handled(t);
    const first = await list(t, dave, '?limit=2');
    const second = await list(t, dave, `?limit=2&cursor=${first.nextCursor}`);
    const third = await list(t, dave, `?limit=2&cursor=${second.nextCursor}`);
    const all = [...first.items, ...second.items, ...third.items];
    expect(all.map((n) => n.tweetId)).toEqual(['604', '603', '602', '601', '600']);
    expect(third.nextCursor).toBeNull();
    expect(await markRead(t, dave, { upTo: second.items[0]!.id })).toEqual({ status: 200, body: { unread: 2 } });
    expect((await list(t, dave)).items.map((n) => n.read)).toEqual([false, false, true, true, true]);
    expect(await markRead(t, dave)).toEqual({ status: 200, body: { unread: 0 } });
    expect((await list(t, dave)).unread).toBe(0);
    expect(await markRead(t, dave, { upTo: 'nope' })).toMatchObject({ status: 400, body: { code: 'notification_id_invalid' } });
    expect((await t.runtime.app.inject({ url: '/api/v1/notifications?cursor=x', headers: bearer(dave.token) })).statusCode).toBe(400);
  });

  it('removes the notifications of a deleted tweet, and late events about it stay out', async () => {
    const erin = await signUp(t, 'erin');
    await publish(t, { type: 'tweet_liked', tweetId: '701', authorId: erin.userId, userId: bob.userId, at: 1 }, { type: 'tweet_liked', tweetId: '702', authorId: erin.userId, userId: bob.userId, at: 2 });
    await handled(t);
    await publish(t, { type: 'tweet_deleted', tweetId: '701', authorId: erin.userId, at: 3 }, { type: 'tweet_liked', tweetId: '701', authorId: erin.userId, userId: carol.userId, at: 4 });
    await handled(t);
    expect((await list(t, erin)).items.map((n) => n.tweetId)).toEqual(['702']);
  });

  it('needs a signed-in user', async () => {
    expect((await t.runtime.app.inject({ url: '/api/v1/notifications' })).statusCode).toBe(401);
    expect((await t.runtime.app.inject({ method: 'POST', url: '/api/v1/notifications/read', payload: {} })).statusCode).toBe(401);
  });

  it('pushes each new notification to the recipient\'s live stream, once', async () => {
    const base = await t.runtime.app.listen({ host: '127.0.0.1', port: 0 });
    const stream = await openSse(`${base}/api/v1/stream`, bearer(carol.token));
    try {
      expect(stream.status).toBe(200);
      const follow: FeedEvent = { type: 'user_followed', followerId: alice.userId, followeeId: carol.userId, at: Date.UTC(2026, 2, 3) };
      await publish(t, follow, follow);
      const block = await stream.waitFor((b) => b.kind === 'event' && b.event === 'notification');
      await handled(t);
      const live = block.kind === 'event' ? JSON.parse(block.data) : null;
      const [stored] = (await list(t, carol)).items;
      expect(live).toEqual({ ...stored, read: false });
      expect(live).toMatchObject({ kind: 'follow', actor: { id: alice.userId, username: 'alice' } });
      // A later notification, once seen, proves no second copy of the first is on its way (order is kept).
      await publish(t, { type: 'user_followed', followerId: bob.userId, followeeId: carol.userId, at: Date.UTC(2026, 2, 3) });
      await stream.waitFor((b) => b.kind === 'event' && b.event === 'notification' && b.data.includes('"bob"'));
      expect(stream.events().filter((e) => e.event === 'notification').map((e) => JSON.parse(e.data).actor.username)).toEqual(['alice', 'bob']);
    } finally {
      stream.close();
    }
  });
});

describe('notifications (consumers on the worker thread)', () => {
  it('reach the API thread\'s live stream through the embedded pub/sub', async () => {
    const t = await startTestApp({ RATE_LIMIT_AUTH: 'off', ANALYTICS_WORKER: 'thread' });
    try {
      const [ann, ben] = [await signUp(t, 'ann'), await signUp(t, 'ben')];
      const base = await t.runtime.app.listen({ host: '127.0.0.1', port: 0 });
      const stream = await openSse(`${base}/api/v1/stream`, bearer(ann.token));
      try {
        await publish(t, { type: 'user_followed', followerId: ben.userId, followeeId: ann.userId, at: Date.UTC(2026, 2, 4) });
        const block = await stream.waitFor((b) => b.kind === 'event' && b.event === 'notification', 15_000);
        expect(block.kind === 'event' && JSON.parse(block.data)).toMatchObject({ kind: 'follow', actor: { id: ben.userId, username: 'ben' } });
      } finally {
        stream.close();
      }
    } finally {
      await t.close();
    }
  });
});
