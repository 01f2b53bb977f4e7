import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeedHarness, type FeedHarness, type HarnessUser } from '../src/modules/feed/testing/feed-harness.js';
import type { SqlDatabase } from '../src/platform/sql/index.js';
import { TEST_DIALECTS } from '../src/platform/sql/testing/test-databases.js';
import { MemoryTimelineStore, type TimelineStore } from '../src/platform/timelines/index.js';
import { RedisTimelineStore } from '../src/platform/timelines/redis/index.js';
import { SERVICES, shouldRun } from './helpers/services.js';

/**
 * Model-based test of the feed: random sequences of follows, unfollows, posts, replies, deletes,
 * likes, clock jumps (inactivity), timeline evictions and reads, checked after every read against a
 * plain model. Small numbers make every path happen: 6 users and a celebrity threshold of 3 (a
 * popular user crosses it both ways), timelines of 10 entries (reads go past the cache into the
 * database merge), fan-out batches of 2, events sometimes delivered twice.
 */

const USERS = 6;
const CAPACITY = 10;
const THRESHOLD = 3;
const DAY = 86_400_000;

type Op =
  | { kind: 'follow' | 'unfollow'; who: number; whom: number }
  | { kind: 'post'; who: number; replyTo: number | null }
  | { kind: 'delete'; who: number; tweet: number }
  | { kind: 'like' | 'unlike'; who: number; tweet: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'evict' }
  | { kind: 'read'; who: number; limit: number; redeliver: boolean };

const user = fc.nat({ max: USERS - 1 });
// Followees skewed towards users 0 and 1, so that they pass the celebrity threshold and fall back.
const popular = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(0, 1) }, { weight: 2, arbitrary: user });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('follow' as const), who: user, whom: popular }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unfollow' as const), who: user, whom: popular }) },
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('post' as const), who: popular, replyTo: fc.option(fc.nat(), { freq: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), who: user, tweet: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('like' as const, 'unlike' as const), who: user, tweet: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(60_000, 11 * 60_000, 2 * DAY) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'evict' as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('read' as const), who: user, limit: fc.integer({ min: 1, max: 7 }), redeliver: fc.boolean() }) },
);

interface ModelTweet {
  id: string;
  author: number;
  deleted: boolean;
  likes: Set<number>;
}

/** Runs one sequence against a fresh feed and the model; throws on the first disagreement. */
async function check(h: FeedHarness, ops: readonly Op[]): Promise<void> {
  const users: HarnessUser[] = Array.from({ length: USERS }, (_, i) => h.addUser(`user_${i}`));
  const follows = new Set<string>();
  const tweets: ModelTweet[] = [];
  const inject = h.app.inject.bind(h.app);

  for (const o of ops) {
    switch (o.kind) {
      case 'follow':
      case 'unfollow': {
        const res = await inject({ method: o.kind === 'follow' ? 'PUT' : 'DELETE', url: `/api/v1/users/${users[o.whom]!.username}/follow`, headers: users[o.who]!.headers });
        if (o.kind === 'follow' && o.who === o.whom) {
          expect(res.json().code).toBe('cannot_follow_self');
          break;
        }
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({ following: o.kind === 'follow' });
        if (o.kind === 'follow') follows.add(`${o.who}>${o.whom}`);
        else follows.delete(`${o.who}>${o.whom}`);
        break;
      }
      case 'post': {
        const parent = o.replyTo === null || tweets.length === 0 ? undefined : tweets[o.replyTo % tweets.length]!;
        const res = await inject({ method: 'POST', url: '/api/v1/tweets', headers: users[o.who]!.headers, payload: { text: `tweet ${tweets.length} #model`, replyTo: parent?.id } });
        if (parent?.deleted) {
          expect(res.json().code).toBe('reply_to_not_found');
          break;
        }
        expect(res.statusCode).toBe(201);
        tweets.push({ id: res.json().id, author: o.who, deleted: false, likes: new Set() });
        break;
      }
      case 'delete': {
        if (tweets.length === 0) break;
        const t = tweets[o.tweet % tweets.length]!;
        const res = await inject({ method: 'DELETE', url: `/api/v1/tweets/${t.id}`, headers: users[o.who]!.headers });
        expect(res.statusCode).toBe(t.deleted ? 404 : t.author === o.who ? 204 : 403);
        if (res.statusCode === 204) t.deleted = true;
        break;
      }
      case 'like':
      case 'unlike': {
        if (tweets.length === 0) break;
        const t = tweets[o.tweet % tweets.length]!;
        const res = await inject({ method: o.kind === 'like' ? 'PUT' : 'DELETE', url: `/api/v1/tweets/${t.id}/like`, headers: users[o.who]!.headers });
        if (t.deleted) {
          expect(res.statusCode).toBe(404);
          break;
        }
        if (o.kind === 'like') t.likes.add(o.who);
        else t.likes.delete(o.who);
        expect(res.json()).toEqual({ likeCount: t.likes.size });
        break;
      }
      case 'advance':
        h.clock.advance(o.ms);
        break;
      case 'evict':
        for (const u of users) await h.timelines.drop(BigInt(u.id));
        break;
      case 'read': {
        await h.drain(() => o.redeliver);
        const expected = tweets
          .filter((t) => !t.deleted && (t.author === o.who || follows.has(`${o.who}>${t.author}`)))
          .sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
        const seen: { id: string; likeCount: number; likedByMe: boolean; author: string }[] = [];
        let cursor: string | null = null;
        for (let page = 0; page <= tweets.length + 1; page++) {
          const query: string = cursor === null ? `limit=${o.limit}` : `limit=${o.limit}&cursor=${cursor}`;
          const res = await inject({ url: `/api/v1/timeline/home?${query}`, headers: users[o.who]!.headers });
          expect(res.statusCode).toBe(200);
          const body = res.json() as { items: typeof seen; nextCursor: string | null };
          expect(body.items.length).toBeLessThanOrEqual(o.limit);
          // A page is short only at the end.
          if (body.nextCursor === null) expect(seen.length + body.items.length).toBe(expected.length);
          else expect(body.items.length).toBe(o.limit);
          seen.push(...body.items);
          cursor = body.nextCursor;
          if (cursor === null) break;
        }
        expect(cursor).toBeNull();
        expect(seen.map((t) => t.id)).toEqual(expected.map((t) => t.id));
        expect(seen.map((t) => [t.author, t.likeCount, t.likedByMe])).toEqual(expected.map((t) => [users[t.author]!.username, t.likes.size, t.likes.has(o.who)]));
        break;
      }
    }
  }
}

const ops = fc.array(op, { minLength: 30, maxLength: 80, size: 'max' });

/** `openSql`: a fresh database per run (default: the harness's in-memory SQLite). */
function modelSuite(name: string, newStore: () => TimelineStore, numRuns: number, seed: number, openSql?: () => Promise<SqlDatabase>): void {
  it(`${name}: the home timeline is exactly the followed authors' and own live tweets, newest first, paged without gaps or repeats`, async () => {
    await fc.assert(
      fc.asyncProperty(ops, async (sequence) => {
        const sql = openSql === undefined ? undefined : await openSql();
        const h = await createFeedHarness({ timelines: newStore(), celebrityThreshold: THRESHOLD, inactiveDays: 1, fanoutBatch: 2, ...(sql === undefined ? {} : { sql }) });
        try {
          await check(h, sequence);
        } finally {
          await h.close();
        }
      }),
      { numRuns, seed },
    );
  });
}

describe('feed model (memory timelines)', () => {
  modelSuite('MemoryTimelineStore', () => new MemoryTimelineStore({ capacity: CAPACITY }), 100, 20_260_601);
});

// The same model on PostgreSQL: fewer runs, each one a fresh schema (the SQL paths are the point).
const postgres = TEST_DIALECTS.find((d) => d.name === 'postgres')!;
describe.runIf(postgres.available)('feed model (memory timelines, PostgreSQL)', () => {
  afterAll(() => postgres.disposeAll());
  modelSuite('MemoryTimelineStore on PostgreSQL', () => new MemoryTimelineStore({ capacity: CAPACITY }), 15, 20_260_603, () => postgres.open());
});

describe.runIf(await shouldRun('redis'))('feed model (Redis timelines)', () => {
  const run = `feed-model:${process.pid}:${Date.now().toString(36)}:`;
  let redis: Redis;
  let stores = 0;
  beforeAll(async () => {
    redis = new Redis(SERVICES.redis, { maxRetriesPerRequest: 2 });
    await redis.ping();
  });
  afterAll(async () => {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${run}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await redis.quit();
  });
  // The store does not own the shared client: its close() leaves it open.
  modelSuite('RedisTimelineStore', () => new RedisTimelineStore(redis, { capacity: CAPACITY, prefix: `${run}${++stores}:` }), 50, 20_260_602);
});
