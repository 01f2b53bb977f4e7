import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteTrackedQueues, TrackedQueue } from '../src/platform/queue/rabbitmq/testing/rabbitmq-test-kit.js';
import { TEST_DIALECTS, type TestDatabase } from '../src/platform/sql/testing/test-databases.js';
import { hasRedisServerBinary, startOwnRedisServer, type OwnRedisServer } from './helpers/redis-server.js';
import { SERVICES, servicesRequired, shouldRun } from './helpers/services.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import { BROWSER_UA, startTestApp, waitFor, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

/**
 * Faults of the scaled topology through the whole runtime (API thread, worker thread, outbox relay,
 * fan-out): the broker connection cut mid-stream, and Redis killed and restarted empty. Every
 * redirect answered and every tweet acknowledged while it happens must be counted, delivered,
 * indexed and notified exactly once in the end. Real servers: PostgreSQL, RabbitMQ behind a
 * loopback relay the test cuts, and a redis-server of the test's own that it kills.
 */
const postgres = TEST_DIALECTS.find((d) => d.name === 'postgres')!;
const run = postgres.available && (await shouldRun('rabbitmq')) && (servicesRequired || (await hasRedisServerBinary()));

type User = { token: string; userId: string; username: string };
type Scenario = { clicks: number; tweets: string[]; code: string; word: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(run)('faults in the scaled topology (PostgreSQL + Redis + RabbitMQ)', () => {
  let database: TestDatabase;
  let redis: OwnRedisServer;
  let broker: TcpProxy;
  let t: TestApp;
  let author: User;
  let followers: User[];
  const prefix = `bpf${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    database = await postgres.create();
    redis = await startOwnRedisServer();
    broker = await startTcpProxy(SERVICES.rabbitmq);
    t = await startTestApp({
      DATABASE_URL: SERVICES.postgres,
      DATABASE_SCHEMA: database.address.slice('postgres:'.length),
      REDIS_URL: redis.url,
      REDIS_PREFIX: `${prefix}:`,
      AMQP_URL: broker.via(SERVICES.rabbitmq),
      AMQP_PREFIX: prefix,
      // The default topology: consumers on a worker thread with connections of their own.
      ANALYTICS_WORKER: 'thread',
      // Counters in Redis, failing open while it is away.
      RATE_LIMIT_GLOBAL: 'token-bucket 100000/1s by=ip fail=open',
      PASSWORD_HASH_MEMORY_KIB: '8192',
      // Consumers never yield to a busy API thread here: under a loaded test run that would only slow the test.
      BACKGROUND_YIELD_ABOVE: '1',
      // Few attempts, so that an outage spending them would dead-letter within the test's seconds.
      QUEUE_MAX_ATTEMPTS: '4',
      JWT_PRIVATE_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      KEY_SECRET: randomBytes(32).toString('hex'),
    });
    const named = async (username: string): Promise<User> => ({ ...(await signUp(t, username)), username });
    author = await named('author');
    followers = [await named('fol0'), await named('fol1'), await named('fol2')];
    for (const f of followers) {
      expect((await t.runtime.app.inject({ method: 'PUT', url: '/api/v1/users/author/follow', headers: bearer(f.token) })).statusCode).toBe(200);
      // Readers are active: the fan-out pushes to their stored timelines.
      expect((await t.runtime.app.inject({ url: '/api/v1/timeline/home', headers: bearer(f.token) })).statusCode).toBe(200);
    }
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await broker?.close();
    await redis?.close();
    await database?.dispose();
    TrackedQueue.prefixes.add(prefix);
    for (const topic of ['clicks', 'feed.fanout', 'feed.search', 'feed.notifications']) TrackedQueue.topics.add(topic);
    await deleteTrackedQueues();
  });

  const inject = (options: InjectOptions) => t.runtime.app.inject(options);

  /**
   * Redirects a fresh link and posts a tweet every third step, with `fault(step)` run before each
   * step; every answer must be a success. Returns what was acknowledged.
   */
  async function drive(label: string, steps: number, fault: (step: number) => Promise<void>): Promise<Scenario> {
    const created = await inject({ method: 'POST', url: '/api/v1/links', payload: { url: `https://example.com/${label}` } });
    expect(created.statusCode).toBe(201);
    const code = (created.json() as { code: string }).code;
    const word = `w${label}${randomBytes(3).toString('hex')}`;
    const scenario: Scenario = { clicks: 0, tweets: [], code, word };
    for (let step = 0; step < steps; step++) {
      await fault(step);
      const redirect = await inject({ url: `/${code}`, headers: { 'user-agent': BROWSER_UA } });
      expect(redirect.statusCode, redirect.body).toBe(302);
      scenario.clicks++;
      if (step % 3 === 0) {
        const posted = await inject({ method: 'POST', url: '/api/v1/tweets', headers: bearer(author.token), payload: { text: `${word} step ${step} @fol0` } });
        expect(posted.statusCode, posted.body).toBe(201);
        scenario.tweets.push((posted.json() as { id: string }).id);
      }
      await sleep(15);
    }
    return scenario;
  }

  async function clicksCounted(code: string): Promise<number> {
    return ((await inject({ url: `/api/v1/links/${code}/stats` })).json() as { total: number }).total;
  }

  async function homeIds(user: User): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page++) {
      const res = await inject({ url: `/api/v1/timeline/home?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`, headers: bearer(user.token) });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { items: { id: string }[]; nextCursor: string | null };
      ids.push(...body.items.map((i) => i.id));
      cursor = body.nextCursor;
      if (cursor === null) break;
    }
    return ids;
  }

  async function searchIds(word: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page++) {
      const res = await inject({ url: `/api/v1/search?${new URLSearchParams({ q: word, limit: '100', ...(cursor === null ? {} : { cursor }) })}` });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { items: { id: string }[]; nextCursor: string | null };
      ids.push(...body.items.map((i) => i.id));
      cursor = body.nextCursor;
      if (cursor === null) break;
    }
    return ids;
  }

  async function mentionedIn(): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page++) {
      const res = await inject({ url: `/api/v1/notifications?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`, headers: bearer(followers[0]!.token) });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { items: { kind: string; tweetId?: string }[]; nextCursor: string | null };
      ids.push(...body.items.filter((n) => n.kind === 'mention').map((n) => n.tweetId!));
      cursor = body.nextCursor;
      if (cursor === null) break;
    }
    return ids;
  }

  const onlyThese = (ids: readonly string[], wanted: readonly string[]) => ids.filter((id) => wanted.includes(id)).sort();

  /** Everything acknowledged arrives exactly once: clicks, home timelines (stored and served), search, notifications. */
  async function expectExactlyOnce(s: Scenario): Promise<void> {
    const want = [...s.tweets].sort();
    const arrived = async () => ({
      clicks: await clicksCounted(s.code),
      indexed: onlyThese(await searchIds(s.word), want).length,
      notified: onlyThese(await mentionedIn(), want).length,
    });
    const all = await waitFor(async () => {
      const now = await arrived();
      return now.clicks >= s.clicks && now.indexed >= want.length && now.notified >= want.length;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    if (!all) {
      // Say where things stopped: queue depths, click counters and connections, as /metrics has them.
      const metrics = (await inject({ url: '/metrics' })).body
        .split('\n')
        .filter((l) => /^(queue_messages|queue_lag_seconds|clicks_\w+_total|connection_up)/.test(l));
      expect.fail(JSON.stringify({ want: { clicks: s.clicks, tweets: want.length }, got: await arrived(), metrics }, null, 1));
    }
    // Let redeliveries, if any, land before counting.
    await sleep(1_000);
    expect(await clicksCounted(s.code)).toBe(s.clicks);
    expect(onlyThese(await searchIds(s.word), want)).toEqual(want);
    expect(onlyThese(await mentionedIn(), want)).toEqual(want);
    for (const f of followers) {
      expect(onlyThese(await homeIds(f), want)).toEqual(want);
      // The stored timeline, rebuilt by that read if it was lost, holds each tweet once.
      const stored = await t.runtime.container.timelines.range(BigInt(f.userId), 800);
      expect(stored).not.toBeNull();
      expect(onlyThese(stored!.map((e) => String(e.tweetId)), want)).toEqual(want);
    }
    for (const topic of ['clicks', 'feed.fanout', 'feed.search', 'feed.notifications']) {
      expect((await t.runtime.container.queue.stats(topic)).deadLettered, topic).toBe(0);
    }
  }

  async function losses(service: string): Promise<number> {
    const text = (await inject({ url: '/metrics' })).body;
    let sum = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith('connection_losses_total{') && line.includes(`service="${service}"`)) sum += Number(line.split(' ').pop());
    }
    return sum;
  }

  it('loses and doubles nothing when the broker connection is cut mid-stream, twice', async () => {
    const readiness: number[] = [];
    const scenario = await drive('amqp', 36, async (step) => {
      if (step === 8 || step === 22) broker.cut();
      if (step === 12) readiness.push((await inject({ url: '/readyz' })).statusCode);
      if (step === 15 || step === 30) broker.heal();
    });
    // While cut, readiness said so.
    expect(readiness).toEqual([503]);
    await expectExactlyOnce(scenario);
    expect(await waitFor(async () => (await inject({ url: '/readyz' })).statusCode === 200, { timeoutMs: 15_000 })).toBe(true);
    const text = (await inject({ url: '/metrics' })).body;
    // Both threads' connections were lost, counted, and are back up.
    expect(text).toMatch(/connection_losses_total\{service="rabbitmq",client="queue",thread="main"\} [1-9]/);
    expect(text).toMatch(/connection_losses_total\{service="rabbitmq",client="queue",thread="worker"\} [1-9]/);
    expect(text).toMatch(/connection_up\{service="rabbitmq",client="queue",thread="main"\} 1/);
  }, 150_000);

  it('loses and doubles nothing when Redis is killed and restarted empty', async () => {
    const before = await losses('redis');
    const readiness: { status: number; checks: Record<string, string> }[] = [];
    const scenario = await drive('redis', 36, async (step) => {
      if (step === 8) await redis.kill();
      // Down for seconds, not a blip: longer than the queue's retries with backoff would last.
      if (step >= 8 && step < 18) await sleep(500);
      if (step === 11) {
        const res = await inject({ url: '/readyz' });
        readiness.push({ status: res.statusCode, checks: (res.json() as { checks: Record<string, string> }).checks });
      }
      if (step === 18) await redis.start();
    });
    expect(readiness[0]!.status).toBe(503);
    expect(readiness[0]!.checks.timelines).not.toBe('ok');
    expect(readiness[0]!.checks.database).toBe('ok');
    await expectExactlyOnce(scenario);
    expect(await waitFor(async () => (await inject({ url: '/readyz' })).statusCode === 200, { timeoutMs: 15_000 })).toBe(true);
    expect(await losses('redis')).toBeGreaterThan(before);
  }, 150_000);
});
