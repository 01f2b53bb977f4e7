import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteDatabase } from '../../platform/sql/sqlite/sqlite-database.js';
import { MemoryTimelineStore } from '../../platform/timelines/index.js';
import { createFeedHarness, type FeedHarness, type HarnessUser } from './testing/feed-harness.js';

/**
 * Every statement the feed ran in a busy scenario, explained by SQLite: no full scan of a feed
 * table, no sort (each order comes from an index), and the named indexes in use where meant.
 * SQLite only: its plans are deterministic; PostgreSQL's depend on table statistics.
 */
describe('feed queries use their indexes', () => {
  let h: FeedHarness;
  const sqlite = new SqliteDatabase({ filename: ':memory:' });
  const statements = new Set<string>();
  beforeAll(async () => {
    h = await createFeedHarness({ sql: sqlite, timelines: new MemoryTimelineStore({ capacity: 10 }), celebrityThreshold: 1, fanoutBatch: 2 });
    const prepare = sqlite.raw.prepare.bind(sqlite.raw);
    sqlite.raw.prepare = ((source: string) => {
      statements.add(source);
      return prepare(source);
    }) as typeof sqlite.raw.prepare;

    const users = ['ann', 'ben', 'cat', 'dan'].map((n) => h.addUser(n));
    const [ann, ben, cat, dan] = users as [HarnessUser, HarnessUser, HarnessUser, HarnessUser];
    const call = (user: HarnessUser | null, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
      h.app.inject({ method, url, headers: user?.headers ?? {}, ...(payload ? { payload } : {}) });
    for (const [who, whom] of [[ann, 'ben'], [cat, 'ben'], [dan, 'ben'], [ben, 'ann'], [ann, 'cat']] as const) await call(who, 'PUT', `/api/v1/users/${whom}/follow`);
    await call(dan, 'DELETE', '/api/v1/users/ben/follow');
    for (const u of users) await call(u, 'GET', '/api/v1/timeline/home');
    const ids: string[] = [];
    for (let i = 0; i < 14; i++) for (const u of [ann, ben, cat]) ids.push((await call(u, 'POST', '/api/v1/tweets', { text: `#t${i} @ann` })).json().id);
    await call(ann, 'POST', '/api/v1/tweets', { text: 'reply', replyTo: ids[1] });
    await call(cat, 'PUT', `/api/v1/tweets/${ids[0]}/like`);
    await call(cat, 'DELETE', `/api/v1/tweets/${ids[0]}/like`);
    await call(ann, 'DELETE', `/api/v1/tweets/${ids[0]}`);
    await h.drain();
    let cursor: string | null = null;
    do {
      const page: { nextCursor: string | null } = (await call(ann, 'GET', `/api/v1/timeline/home?limit=7${cursor ? `&cursor=${cursor}` : ''}`)).json();
      cursor = page.nextCursor;
    } while (cursor !== null);
    await h.timelines.drop(BigInt(ann.id));
    await call(ann, 'GET', '/api/v1/timeline/home');
    await call(null, 'GET', `/api/v1/users/ben/tweets?limit=3&cursor=${ids[20]}`);
    await call(null, 'GET', '/api/v1/users/ben');
    await call(null, 'GET', `/api/v1/users/ben/followers?cursor=${ann.id}`);
    await call(null, 'GET', `/api/v1/users/ann/following?cursor=${dan.id}`);
    await h.feed.followersOf(ben.id, { limit: 2, after: ann.id });
    await h.feed.hydrateTweets(ids.slice(0, 5), ben.id);
    // The Mastodon API's thread and favourited_by.
    await call(cat, 'PUT', `/api/v1/tweets/${ids[4]}/like`);
    await h.feed.actions.replies(ids[1]!, 10);
    await h.feed.actions.likers(ids[4]!, 10);
    sqlite.raw.prepare = prepare;
  });
  afterAll(() => h.close());

  const plans = () =>
    [...statements]
      .filter((s) => /\b(tweets|likes|follows|feed_users)\b/.test(s) && !/^insert into "outbox"/i.test(s))
      .map((s) => ({
        sql: s,
        plan: sqlite.raw
          .prepare(`explain query plan ${s}`)
          .all(...Array<number>((s.match(/\?/g) ?? []).length).fill(1))
          .map((r) => (r as { detail: string }).detail),
      }));

  it('never scans a feed table whole and never sorts', () => {
    const all = plans();
    if (process.env.FEED_PLANS) for (const p of all) console.log(p.sql, '\n   ', p.plan.join('\n    '));
    expect(all.length).toBeGreaterThan(20);
    for (const { sql, plan } of all) {
      expect({ sql, plan: plan.filter((d) => /^SCAN (tweets|likes|follows|feed_users)\b|TEMP B-TREE/.test(d)) }).toEqual({ sql, plan: [] });
    }
  });

  it('reads home-timeline merges from the covering partial index, pulls from the pulled-only one, scans followers by followee', () => {
    const details = plans().flatMap((p) => p.plan);
    expect(details).toContain('SEARCH tweets USING COVERING INDEX tweets_author_live_idx (author_id=? AND id<?)');
    expect(details).toContain('SEARCH tweets USING COVERING INDEX tweets_author_live_idx (author_id=? AND id>?)');
    expect(details).toContain('SEARCH tweets USING INDEX tweets_author_pulled_idx (author_id=? AND id<?)');
    expect(details.some((d) => d.startsWith('SEARCH follows USING COVERING INDEX follows_followee_idx (followee_id=? AND follower_id>?)'))).toBe(true);
    expect(details.some((d) => d.startsWith('SEARCH likes USING PRIMARY KEY (user_id=? AND tweet_id=?)'))).toBe(true);
    expect(details.some((d) => d.startsWith('SEARCH tweets USING INDEX tweets_reply_idx (reply_to=?)'))).toBe(true);
    expect(details.some((d) => d.startsWith('SEARCH likes USING COVERING INDEX likes_tweet_idx (tweet_id=?)'))).toBe(true);
  });
});
