import type { InjectOptions } from 'fastify';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TweetPageView } from '../src/modules/feed/feed.schemas.js';
import { startTestApp, tempDataDir, waitFor, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

/** The feed over HTTP on the real runtime: fan-out through the outbox, the queue and the worker. */

// RFC 3339 date-time, as the OpenAPI document declares it (TypeBox checks formats it is told of).
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v)));

const ENV = {
  PASSWORD_HASH_MEMORY_KIB: '8192',
  FEED_CELEBRITY_THRESHOLD: '2',
  FEED_TIMELINE_CAPACITY: '10',
  FEED_FANOUT_BATCH: '10',
};

interface Account {
  name: string;
  token: string;
  userId: string;
}

interface TweetJson {
  id: string;
  author: string;
  text: string;
  likeCount: number;
  replyCount: number;
  replyTo: string | null;
  likedByMe?: boolean;
}

describe('feed over HTTP', () => {
  const dataDir = tempDataDir();
  let t: TestApp;
  let ann: Account, ben: Account, cat: Account, dan: Account, eve: Account;

  beforeAll(async () => {
    t = await startTestApp(ENV, { dataDir });
    const accounts = await Promise.all(['ann', 'ben', 'cat', 'dan', 'eve'].map(async (name): Promise<Account> => ({ name, ...(await signUp(t, name)) })));
    [ann, ben, cat, dan, eve] = accounts as [Account, Account, Account, Account, Account];
  });
  afterAll(() => t.close());

  const call = (who: Account | null, method: NonNullable<InjectOptions['method']>, url: string, payload?: object) =>
    t.runtime.app.inject({ method, url, headers: who === null ? {} : bearer(who.token), ...(payload === undefined ? {} : { payload }) });
  const post = async (who: Account, text: string, replyTo?: string) => {
    const res = await call(who, 'POST', '/api/v1/tweets', replyTo === undefined ? { text } : { text, replyTo });
    expect(res.statusCode).toBe(201);
    return res.json() as TweetJson;
  };
  const follow = (who: Account, whom: Account, method: 'PUT' | 'DELETE' = 'PUT') => call(who, method, `/api/v1/users/${whom.name}/follow`);
  /** Every page of a list, following nextCursor; fails on a repeated id. */
  const all = async (who: Account | null, path: string, limit: number) => {
    const items: TweetJson[] = [];
    let cursor: string | null = null;
    do {
      const res = await call(who, 'GET', `${path}?limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`);
      expect(res.statusCode).toBe(200);
      items.push(...res.json().items);
      cursor = res.json().nextCursor;
    } while (cursor !== null);
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
    return items;
  };
  const homeIds = async (who: Account, limit = 100) => (await all(who, '/api/v1/timeline/home', limit)).map((i) => i.id);

  it('counts 280 characters as code points after NFC, and refuses empty, longer and anonymous tweets', async () => {
    const emoji = await post(ann, '🦄'.repeat(280));
    expect(emoji.text).toBe('🦄'.repeat(280));
    expect(emoji).toMatchObject({ author: 'ann', likeCount: 0, replyCount: 0, replyTo: null, likedByMe: false });
    const composed = await post(ann, 'e\u0301'.repeat(280));
    expect(composed.text).toBe('\u00e9'.repeat(280));
    const tooLong = await call(ann, 'POST', '/api/v1/tweets', { text: '🦄'.repeat(281) });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.headers['content-type']).toContain('application/problem+json');
    expect(tooLong.json().code).toBe('tweet_too_long');
    for (const text of ['', '   \n']) expect((await call(ann, 'POST', '/api/v1/tweets', { text })).json().code).toBe('tweet_empty');
    expect((await call(ann, 'POST', '/api/v1/tweets', {})).json().code).toBe('validation_failed');
    expect((await call(null, 'POST', '/api/v1/tweets', { text: 'hi' })).statusCode).toBe(401);
    expect((await call(null, 'GET', `/api/v1/tweets/${emoji.id}`)).json()).toMatchObject({ id: emoji.id, text: emoji.text });
    for (const id of ['123', '99999999999999999999', 'abc']) expect((await call(null, 'GET', `/api/v1/tweets/${id}`)).statusCode).toBeOneOf([400, 404]);
    for (const id of [emoji.id, composed.id]) expect((await call(ann, 'DELETE', `/api/v1/tweets/${id}`)).statusCode).toBe(204);
  });

  it('sends timeline pages, built from cached JSON fragments, that are exactly the OpenAPI schema (no field more or less)', async () => {
    const [gus, hal] = await Promise.all(['gus', 'hal'].map(async (name): Promise<Account> => ({ name, ...(await signUp(t, name)) })));
    const [eve, cat] = [gus!, hal!];
    await follow(eve, cat);
    const first = await post(cat, 'a "quoted" \\ tweet with\nescapes, émoji 🎉 and </script>');
    await post(cat, `a reply`, first.id);
    expect((await call(eve, 'PUT', `/api/v1/tweets/${first.id}/like`)).statusCode).toBeLessThan(300);
    for (const [who, path] of [[eve, '/api/v1/timeline/home'], [eve, `/api/v1/users/${cat.name}/tweets`], [null, `/api/v1/users/${cat.name}/tweets`]] as const) {
      for (let i = 0; i < 2; i++) {
        // Twice: the first read may fill the caches, the second is served from them.
        const res = await call(who, 'GET', `${path}?limit=5`);
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        const body = JSON.parse(res.body) as unknown;
        expect([...Value.Errors(TweetPageView, body)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
        // Nothing beyond the schema's fields.
        expect(Value.Clean(TweetPageView, structuredClone(body))).toEqual(body);
        const item = (body as { items: TweetJson[] }).items.find((x) => x.id === first.id)!;
        expect(item.text).toBe('a "quoted" \\ tweet with\nescapes, émoji 🎉 and </script>');
        expect(item.replyCount).toBe(1);
        expect(item.likeCount).toBe(1);
        expect(item.likedByMe).toBe(who === null ? undefined : true);
      }
    }
  });

  it('counts replies on the parent, and refuses replies to unknown or deleted tweets', async () => {
    const parent = await post(ben, 'a question');
    const reply = await post(cat, 'an answer', parent.id);
    expect(reply.replyTo).toBe(parent.id);
    expect((await call(null, 'GET', `/api/v1/tweets/${parent.id}`)).json().replyCount).toBe(1);
    expect((await call(cat, 'POST', '/api/v1/tweets', { text: 'to nothing', replyTo: '42' })).json().code).toBe('reply_to_not_found');
    expect((await call(ben, 'DELETE', `/api/v1/tweets/${parent.id}`)).statusCode).toBe(204);
    const late = await call(cat, 'POST', '/api/v1/tweets', { text: 'too late', replyTo: parent.id });
    expect(late.statusCode).toBe(400);
    expect(late.json().code).toBe('reply_to_not_found');
    await call(cat, 'DELETE', `/api/v1/tweets/${reply.id}`);
  });

  it('follows and unfollows idempotently, refuses self-follows, and keeps the profile counts', async () => {
    const self = await follow(dan, dan);
    expect(self.statusCode).toBe(400);
    expect(self.json().code).toBe('cannot_follow_self');
    expect((await call(dan, 'PUT', '/api/v1/users/nobody_here/follow')).statusCode).toBe(404);
    expect((await call(null, 'PUT', '/api/v1/users/eve/follow')).statusCode).toBe(401);
    for (let i = 0; i < 2; i++) expect((await follow(dan, eve)).json()).toEqual({ following: true });
    expect((await call(null, 'GET', '/api/v1/users/EVE')).json()).toMatchObject({ username: 'eve', displayName: 'eve', followers: 1, following: 0, tweets: 0 });
    for (let i = 0; i < 2; i++) expect((await follow(dan, eve, 'DELETE')).json()).toEqual({ following: false });
    expect((await call(null, 'GET', '/api/v1/users/eve')).json()).toMatchObject({ followers: 0 });
    expect((await call(null, 'GET', '/api/v1/users/dan')).json()).toMatchObject({ following: 0 });
    expect((await call(null, 'GET', '/api/v1/users/nobody_here')).json().code).toBe('user_not_found');
  });

  it('likes idempotently with exact counters, shows liked-by-me only when signed in, and forgets deleted tweets', async () => {
    const tweet = await post(eve, 'like this');
    const like = (who: Account, method: 'PUT' | 'DELETE') => call(who, method, `/api/v1/tweets/${tweet.id}/like`);
    const answers = await Promise.all([ann, ben, cat, dan, ann, ben, cat, dan].map((u) => like(u, 'PUT')));
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    expect((await like(eve, 'PUT')).json()).toEqual({ likeCount: 5 });
    await Promise.all([ann, ann, ben].map((u) => like(u, 'DELETE')));
    expect((await like(cat, 'PUT')).json()).toEqual({ likeCount: 3 });
    expect((await call(ann, 'GET', `/api/v1/tweets/${tweet.id}`)).json()).toMatchObject({ likeCount: 3, likedByMe: false });
    expect((await call(dan, 'GET', `/api/v1/tweets/${tweet.id}`)).json()).toMatchObject({ likeCount: 3, likedByMe: true });
    expect((await call(null, 'GET', `/api/v1/tweets/${tweet.id}`)).json()).not.toHaveProperty('likedByMe');
    expect((await call(ann, 'DELETE', `/api/v1/tweets/${tweet.id}`)).json().code).toBe('not_tweet_author');
    expect((await call(eve, 'DELETE', `/api/v1/tweets/${tweet.id}`)).statusCode).toBe(204);
    expect((await call(eve, 'DELETE', `/api/v1/tweets/${tweet.id}`)).statusCode).toBe(404);
    expect((await like(ann, 'PUT')).json().code).toBe('tweet_not_found');
    expect((await call(null, 'GET', `/api/v1/tweets/${tweet.id}`)).statusCode).toBe(404);
  });

  it('fans tweets out to followers, retracts unfollowed authors and deleted tweets at once, and pages past the cache without repeats', async () => {
    await follow(dan, ben);
    const bens = [(await post(ben, 'ben #0')).id];
    // Builds dan's cached timeline. Newer tweets reach it only by fan-out: a read serves the cache,
    // then the database below the cache's oldest entry, never above its newest.
    expect(await homeIds(dan)).toEqual(bens);
    for (let i = 1; i < 14; i++) bens.push((await post(ben, `ben #${i}`)).id);
    expect(await waitFor(async () => (await homeIds(dan)).length === 14)).toBe(true);
    expect((await t.runtime.container.queue.stats('feed.fanout')).deadLettered).toBe(0);
    // 14 tweets, 10 cached: pages of 3 run from the cache into the database merge.
    expect(await homeIds(dan, 3)).toEqual([...bens].reverse());
    const own = await post(dan, 'mine');
    expect((await homeIds(dan, 3))[0]).toBe(own.id);

    expect((await call(ben, 'DELETE', `/api/v1/tweets/${bens[13]}`)).statusCode).toBe(204);
    expect((await homeIds(dan))[1]).toBe(bens[12]);
    await follow(dan, ben, 'DELETE');
    expect(await homeIds(dan)).toEqual([own.id]);
    await follow(dan, ben);
    expect(await homeIds(dan)).toEqual([own.id, ...bens.slice(0, 13).reverse()]);
  });

  it("merges a celebrity's tweets at read time", async () => {
    for (const fan of [ann, ben, dan]) await follow(fan, cat);
    expect((await call(null, 'GET', '/api/v1/users/cat')).json().followers).toBe(3);
    const star = await post(cat, 'to my three fans');
    expect((await homeIds(ann))[0]).toBe(star.id);
    expect((await homeIds(dan))[0]).toBe(star.id);
    expect((await homeIds(cat))[0]).toBe(star.id);
    const page = (await call(ann, 'GET', '/api/v1/timeline/home?limit=1')).json();
    expect(page.items[0]).toMatchObject({ id: star.id, author: 'cat', likedByMe: false });
  });

  it('pages user timelines and follower lists with cursors', async () => {
    const mine = await all(null, '/api/v1/users/ben/tweets', 4);
    expect(mine.map((m) => m.id)).toEqual((await all(null, '/api/v1/users/ben/tweets', 100)).map((m) => m.id));
    expect(mine.every((m) => m.author === 'ben')).toBe(true);
    expect(mine).toHaveLength(13);
    const followers = await all(null, '/api/v1/users/cat/followers', 2);
    expect(followers.map((f) => (f as unknown as { username: string }).username).sort()).toEqual(['ann', 'ben', 'dan']);
    expect((await call(null, 'GET', '/api/v1/users/cat/following?cursor=nope')).json().code).toBe('cursor_invalid');
  });

  it('rebuilds cold timelines from the database after a restart over the same data', async () => {
    const before = await homeIds(dan);
    expect(before.length).toBeGreaterThan(10);
    await t.close({ keepData: true });
    t = await startTestApp(ENV, { dataDir });
    expect(await homeIds(dan, 4)).toEqual(before);
    const next = await post(ben, 'after the restart');
    expect(await waitFor(async () => (await homeIds(dan))[0] === next.id)).toBe(true);
  });
});
