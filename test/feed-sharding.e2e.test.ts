import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashStrategy, readRing } from '../src/platform/sharding/index.js';
import type { SqlDatabase } from '../src/platform/sql/index.js';
import { connectTestDatabase, TEST_DIALECTS, type TestDatabase } from '../src/platform/sql/testing/test-databases.js';
import { SERVICES, servicesRequired } from './helpers/services.js';
import { startTestApp, tempDataDir, waitFor, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

/**
 * The feed on PostgreSQL shards (FEED_SHARDS): tweets and likes partitioned by author on the
 * ring, and `blueprint reshard --add` run as a separate process while the API keeps posting and
 * liking. No acknowledged tweet or like is lost or doubled, every row ends on the shard the new
 * ring names, only the authors the new shard took over moved, and the API follows the new ring.
 */
const postgres = TEST_DIALECTS.find((d) => d.name === 'postgres')!;
const run = promisify(execFile);

describe.runIf(postgres.available || servicesRequired)('the feed on shards, resharded online', () => {
  const schemas: Record<string, TestDatabase> = {};
  const open: SqlDatabase[] = [];
  let dataDir: string;
  let app: TestApp;
  const users: { name: string; token: string; userId: string }[] = [];
  const acknowledged = new Map<string, string>(); // tweet id -> author id
  const likes = new Set<string>(); // `${user} ${tweet}`

  const schemaOf = (name: string) => schemas[name]!.address.slice('postgres:'.length);
  const shardUrl = (name: string) => `${name}=${SERVICES.postgres}?schema=${schemaOf(name)}`;
  const env = (shards: string[]) => ({ DATABASE_URL: SERVICES.postgres, DATABASE_SCHEMA: schemaOf('main'), FEED_SHARDS: shards.map(shardUrl).join(','), FEED_CELEBRITY_THRESHOLD: '3', RATE_LIMIT_AUTH: 'off', PASSWORD_HASH_MEMORY_KIB: '8192', PASSWORD_HASH_ITERATIONS: '1' });
  const db = (name: string) => {
    const database = connectTestDatabase(schemas[name]!.address);
    open.push(database);
    return database;
  };
  const call = (who: number, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: Record<string, string>) =>
    app.runtime.app.inject({ method, url, headers: bearer(users[who]!.token), ...(payload === undefined ? {} : { payload }) });
  const post = async (who: number, text: string) => {
    const res = await call(who, 'POST', '/api/v1/tweets', { text });
    expect(res.statusCode, res.body).toBe(201);
    const id = (res.json() as { id: string }).id;
    acknowledged.set(id, users[who]!.userId);
    return id;
  };
  const like = async (who: number, tweet: string) => {
    const res = await call(who, 'PUT', `/api/v1/tweets/${tweet}/like`);
    expect(res.statusCode, res.body).toBe(200);
    likes.add(`${users[who]!.userId} ${tweet}`);
  };
  /** Every tweet row of every shard: [shard, id, author]. */
  const rows = async (names: string[]) =>
    (
      await Promise.all(
        names.map(async (name) => {
          const { rows } = await sql<{ id: string; author: string }>`select cast(id as text) as id, cast(author_id as text) as author from tweets`.execute(db(name).db);
          return rows.map((r) => ({ shard: name, ...r }));
        }),
      )
    ).flat();

  beforeAll(async () => {
    for (const name of ['main', 's0', 's1', 's2']) schemas[name] = await postgres.create();
    dataDir = tempDataDir();
    // The ring starts with two shards; s2 is configured on the restart below, unrouted.
    app = await startTestApp(env(['s0', 's1']), { dataDir });
    for (let i = 0; i < 12; i++) users.push({ name: `user${i}`, ...(await signUp(app, `user${i}`)) });
    // Everyone follows u0 (a celebrity above the threshold: pulled at read time); u1..u3 follow each other.
    for (let i = 1; i < 12; i++) expect((await call(i, 'PUT', '/api/v1/users/user0/follow')).statusCode).toBe(200);
    for (const [a, b] of [[1, 2], [2, 3], [3, 1]] as const) expect((await call(a, 'PUT', `/api/v1/users/user${b}/follow`)).statusCode).toBe(200);
    for (let round = 0; round < 10; round++) for (let who = 0; who < 12; who++) await post(who, `seed ${round} from u${who}`);
    const ids = [...acknowledged.keys()];
    for (let i = 0; i < 60; i++) await like(i % 12, ids[(i * 7) % ids.length]!);
    await app.close({ keepData: true });
    app = await startTestApp(env(['s0', 's1', 's2']), { dataDir });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await Promise.allSettled(open.map((d) => d.close()));
    for (const database of Object.values(schemas)) await database.dispose();
  });

  it('spreads tweets over the ring and serves timelines across shards', async () => {
    expect(app.runtime.container.feedShards?.ringVersion).toBe(1);
    const placed = await rows(['s0', 's1', 's2']);
    expect(placed.filter((r) => r.shard === 's2')).toHaveLength(0);
    const ring = new HashStrategy((await readRing(db('main').db))!);
    expect(placed.every((r) => ring.shardOf(r.author) === r.shard)).toBe(true);
    expect(new Set(placed.map((r) => r.shard))).toEqual(new Set(['s0', 's1']));
    // u1's home timeline merges u2 (pushed), u0 (pulled) and u1's own tweets, from both shards.
    const home = (await call(1, 'GET', '/api/v1/timeline/home?limit=30')).json() as { items: { author: string }[] };
    expect(new Set(home.items.map((t) => t.author))).toEqual(new Set(['user0', 'user1', 'user2']));
    // A reply to a tweet on another shard counts on its parent; a like counts on its tweet.
    const parent = [...acknowledged].find(([, author]) => ring.shardOf(author) !== ring.shardOf(users[5]!.userId))![0];
    const before = (await call(5, 'GET', `/api/v1/tweets/${parent}`)).json() as { replyCount: number };
    const reply = await call(5, 'POST', '/api/v1/tweets', { text: 'a reply across shards', replyTo: parent });
    expect(reply.statusCode).toBe(201);
    acknowledged.set((reply.json() as { id: string }).id, users[5]!.userId);
    expect(((await call(5, 'GET', `/api/v1/tweets/${parent}`)).json() as { replyCount: number }).replyCount).toBe(before.replyCount + 1);
  });

  it('adds a shard online from another process: nothing lost or doubled, only the new owner\'s authors moved', async () => {
    const before = await rows(['s0', 's1']);
    const stop = { now: false };
    const errors: string[] = [];
    // Writers keep posting and liking while the CLI reshards (bounded in count and time).
    const writer = async (who: number) => {
      const deadline = Date.now() + 60_000;
      for (let n = 0; n < 300 && !stop.now && Date.now() < deadline; n++) {
        try {
          const id = await post(who, `during ${n} from u${who}`);
          if (n % 3 === 0) await like((who + 1) % 12, id);
        } catch (error) {
          errors.push(String(error));
        }
      }
    };
    const writers = users.map((_, who) => writer(who));
    const cli = run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'reshard', '--add', 's2', '--cleanup-delay-ms', '1500', '--batch', '50'], {
      env: { ...process.env, ...env(['s0', 's1', 's2']), DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      timeout: 90_000,
    });
    const { stdout, stderr } = await cli;
    stop.now = true;
    await Promise.all(writers);
    expect(errors).toEqual([]);
    expect(stderr).toMatch(/ring v2: s0, s1, s2/);
    const report = JSON.parse(stdout) as { to: { version: number }; tables: Record<string, { copied: number; moved: number }>; fencedMs: number };
    expect(report.to.version).toBe(2);

    // The API follows the new ring (from the rows its writes lock, and from the main database).
    expect(await waitFor(() => app.runtime.container.feedShards?.ringVersion === 2, { timeoutMs: 5_000 })).toBe(true);
    const ring = new HashStrategy((await readRing(db('main').db))!);
    expect(ring.shards()).toEqual(['s0', 's1', 's2']);

    const after = await rows(['s0', 's1', 's2']);
    // Every acknowledged tweet exactly once, on the shard the new ring names.
    expect(after.length).toBe(new Set(after.map((r) => r.id)).size);
    expect(new Set(after.map((r) => r.id))).toEqual(new Set(acknowledged.keys()));
    expect(after.filter((r) => ring.shardOf(r.author) !== r.shard)).toEqual([]);
    // Only the authors the new shard owns moved: the rows that stayed did not change shard.
    const was = new Map(before.map((r) => [r.id, r.shard]));
    const moved = after.filter((r) => was.has(r.id) && was.get(r.id) !== r.shard);
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.every((r) => r.shard === 's2')).toBe(true);
    expect(report.tables.tweets!.moved).toBeGreaterThanOrEqual(moved.length);

    // Every acknowledged like once, on its tweet's shard, and each tweet's count matches its likes.
    const likeRows = (
      await Promise.all(['s0', 's1', 's2'].map(async (name) => (await sql<{ u: string; t: string; a: string }>`select cast(user_id as text) as u, cast(tweet_id as text) as t, cast(author_id as text) as a from likes`.execute(db(name).db)).rows.map((r) => ({ ...r, shard: name }))))
    ).flat();
    expect(new Set(likeRows.map((r) => `${r.u} ${r.t}`))).toEqual(likes);
    expect(likeRows.length).toBe(likes.size);
    expect(likeRows.every((r) => ring.shardOf(r.a) === r.shard)).toBe(true);
    const counts = (
      await Promise.all(['s0', 's1', 's2'].map(async (name) => (await sql<{ id: string; n: number }>`select cast(id as text) as id, like_count as n from tweets where like_count > 0`.execute(db(name).db)).rows))
    ).flat();
    const perTweet = new Map<string, number>();
    for (const r of likeRows) perTweet.set(r.t, (perTweet.get(r.t) ?? 0) + 1);
    expect(new Map(counts.map((c) => [c.id, Number(c.n)]))).toEqual(perTweet);

    // Reads and writes go on across the new ring: a moved author's timeline, and a new post.
    const movedAuthor = users.findIndex((u) => ring.shardOf(u.userId) === 's2');
    expect(movedAuthor).toBeGreaterThanOrEqual(0);
    const timeline = (await call(movedAuthor, 'GET', `/api/v1/users/user${movedAuthor}/tweets?limit=100`)).json() as { items: unknown[] };
    const written = [...acknowledged.values()].filter((a) => a === users[movedAuthor]!.userId).length;
    expect(timeline.items.length).toBe(Math.min(written, 100));
    const fresh = await post(movedAuthor, 'after the reshard');
    expect((await rows(['s2'])).some((r) => r.id === fresh)).toBe(true);
  }, 120_000);
});
