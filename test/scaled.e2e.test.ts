import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteTrackedQueues, TrackedQueue } from '../src/platform/queue/rabbitmq/testing/rabbitmq-test-kit.js';
import { TEST_DIALECTS, type TestDatabase } from '../src/platform/sql/testing/test-databases.js';
import { SERVICES, shouldRun } from './helpers/services.js';
import { startTestApp, tempDataDir, waitFor, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

/**
 * The same runtime chosen by configuration alone: tables on PostgreSQL (a schema of its own), cache,
 * pub/sub, timelines and rate-limit counters on Redis (keys under a prefix of its own), queues on
 * RabbitMQ (names under that prefix). Two instances share them, as two processes of the scaled
 * topology would, and compete for the queues' messages.
 */
const postgres = TEST_DIALECTS.find((d) => d.name === 'postgres')!;
const run = postgres.available && (await shouldRun('redis')) && (await shouldRun('rabbitmq'));

describe.runIf(run)('scaled topology: PostgreSQL + Redis + RabbitMQ', () => {
  let database: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  const prefix = `bpt${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    database = await postgres.create();
    const env = {
      DATABASE_URL: SERVICES.postgres,
      DATABASE_SCHEMA: database.address.slice('postgres:'.length),
      REDIS_URL: SERVICES.redis,
      REDIS_PREFIX: prefix,
      AMQP_URL: SERVICES.rabbitmq,
      AMQP_PREFIX: prefix.slice(0, -1),
      PASSWORD_HASH_MEMORY_KIB: '8192',
      // Secrets every instance shares, from the environment (each would otherwise generate its own).
      JWT_PRIVATE_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      KEY_SECRET: randomBytes(32).toString('hex'),
    };
    a = await startTestApp(env);
    // The second instance migrates nothing new and shares every table and key with the first.
    b = await startTestApp(env, { dataDir: tempDataDir() });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.dispose();
    // Quorum queues outlive their connections: remove this run's.
    TrackedQueue.prefixes.add(prefix.slice(0, -1));
    for (const topic of ['clicks', 'feed.fanout', 'feed.search', 'feed.notifications']) TrackedQueue.topics.add(topic);
    await deleteTrackedQueues();
  });

  it('keeps links in PostgreSQL and invalidates every instance\'s cache on change', async () => {
    expect(a.runtime.container.sql.dialect).toBe('postgres');
    const ready = await b.runtime.app.inject({ url: '/readyz' });
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { database: 'ok', queue: 'ok', cache: 'ok', timelines: 'ok', pubsub: 'ok', ratelimit: 'ok' } });
    const created = await a.runtime.app.inject({ method: 'POST', url: '/api/v1/links', payload: { url: 'https://example.com/first' } });
    expect(created.statusCode).toBe(201);
    const { code } = created.json() as { code: string };
    // Both instances serve it, and now both hold it in their near cache.
    for (const t of [a, b]) expect((await t.runtime.app.inject({ url: `/${code}` })).headers.location).toBe('https://example.com/first');
    const user = await signUp(a, 'owner');
    const owned = await a.runtime.app.inject({ method: 'POST', url: '/api/v1/links', headers: bearer(user.token), payload: { url: 'https://example.com/v1' } });
    const ownedCode = (owned.json() as { code: string }).code;
    expect((await b.runtime.app.inject({ url: `/${ownedCode}` })).headers.location).toBe('https://example.com/v1');
    const patched = await a.runtime.app.inject({ method: 'PATCH', url: `/api/v1/links/${ownedCode}`, headers: bearer(user.token), payload: { url: 'https://example.com/v2' } });
    expect(patched.statusCode).toBe(200);
    // b cached v1; the change on a reaches it over Redis pub/sub.
    expect(await waitFor(async () => (await b.runtime.app.inject({ url: `/${ownedCode}` })).headers.location === 'https://example.com/v2')).toBe(true);
  });

  it('fans a tweet out into Redis timelines that the other instance reads', async () => {
    const ann = await signUp(a, 'ann');
    const ben = await signUp(b, 'ben');
    expect((await b.runtime.app.inject({ method: 'PUT', url: '/api/v1/users/ben/follow', headers: bearer(ann.token) })).statusCode).toBe(200);
    expect((await b.runtime.app.inject({ url: '/api/v1/timeline/home', headers: bearer(ann.token) })).statusCode).toBe(200);
    const posted = await a.runtime.app.inject({ method: 'POST', url: '/api/v1/tweets', headers: bearer(ben.token), payload: { text: 'hello from the scaled topology' } });
    expect(posted.statusCode).toBe(201);
    const id = (posted.json() as { id: string }).id;
    const home = async (t: TestApp) => ((await t.runtime.app.inject({ url: '/api/v1/timeline/home', headers: bearer(ann.token) })).json() as { items: { id: string }[] }).items.map((i) => i.id);
    expect(await waitFor(async () => (await home(b)).includes(id))).toBe(true);
    expect(await home(a)).toContain(id);
    expect(await a.runtime.container.timelines.size()).toBeGreaterThan(0);
  });

  it('counts clicks through RabbitMQ, whichever instance consumes them', async () => {
    const created = await b.runtime.app.inject({ method: 'POST', url: '/api/v1/links', payload: { url: 'https://example.com/clicked' } });
    const { code } = created.json() as { code: string };
    for (let i = 0; i < 5; i++) await (i % 2 === 0 ? a : b).runtime.app.inject({ url: `/${code}`, headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0' } });
    const total = async () => ((await a.runtime.app.inject({ url: `/api/v1/links/${code}/stats` })).json() as { total: number }).total;
    expect(await waitFor(async () => (await total()) === 5, { timeoutMs: 15_000 })).toBe(true);
  });
});
