import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/platform/clock/index.js';
import { randomUUID } from 'node:crypto';
import { SERVICES, shouldRun } from './helpers/services.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

const start = Date.UTC(2026, 10, 28, 12);
const redisUp = await shouldRun('redis');

describe('rate limiting at the edge', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  const create = (app: TestApp, headers: Record<string, string> = {}) =>
    app.runtime.app.inject({ method: 'POST', url: '/api/v1/links', headers, payload: { url: 'https://example.com/' } });

  it('advertises the policies of a route with RateLimit-Policy and RateLimit (defaults on)', async () => {
    t = await startTestApp({ RATE_LIMIT_GLOBAL: 'leaky-bucket 100/1s burst=200 nodelay', RATE_LIMIT_CREATE: 'gcra 20/1m burst=20' });
    const res = await create(t);
    expect(res.statusCode).toBe(201);
    expect(res.headers["ratelimit-policy"]).toBe('"global";q=201;w=1, "create";q=21;w=60');
    expect(res.headers.ratelimit).toMatch(/^"global";r=200;t=\d+, "create";r=20;t=\d+$/);
    const health = await t.runtime.app.inject({ url: '/healthz' });
    expect(health.headers['ratelimit-policy']).toBeUndefined();
  });

  it('refuses beyond the limit with 429 problem+json and Retry-After, and allows again when time passes', async () => {
    const clock = new ManualClock(start);
    t = await startTestApp({ RATE_LIMIT_CREATE: 'fixed-window 3/1m' }, { clock });
    for (let i = 0; i < 3; i++) expect((await create(t)).statusCode).toBe(201);
    const refused = await create(t);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ code: 'rate_limited', status: 429, policy: 'create' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.headers.ratelimit).toMatch(/"create";r=0;t=\d+/);
    clock.advance(60_000);
    expect((await create(t)).statusCode).toBe(201);
  });

  it('delays requests between delay and burst and refuses beyond burst (nginx limit_req)', async () => {
    const clock = new ManualClock(start);
    t = await startTestApp({ RATE_LIMIT_GLOBAL: 'leaky-bucket 10/1s burst=2' }, { clock });
    const timed = async () => {
      const before = Date.now();
      const res = await t!.runtime.app.inject({ url: '/healthz/nope' });
      return { status: res.statusCode, ms: Date.now() - before };
    };
    // A first request compiles what every later one runs: warm up, then let the bucket drain.
    await timed();
    clock.advance(10_000);
    const first = await timed();
    expect(first.status).toBe(404);
    expect(first.ms).toBeLessThan(80);
    const second = await timed();
    expect(second.ms).toBeGreaterThanOrEqual(90);
    const third = await timed();
    expect(third.ms).toBeGreaterThanOrEqual(190);
    expect((await timed()).status).toBe(429);
  });

  it('never counts a refused redirect as a click', async () => {
    const clock = new ManualClock(start);
    t = await startTestApp({}, { clock });
    const code = (await create(t)).json().code;
    await t.close({ keepData: true });
    t = await startTestApp({ RATE_LIMIT_GLOBAL: 'fixed-window 2/1m' }, { clock, dataDir: t.dataDir });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await t.runtime.app.inject({ url: `/${code}` })).statusCode);
    expect(statuses).toEqual([302, 302, 429, 429]);
    expect(t.runtime.container.clicks?.pending).toBe(2);
  });

  it('refuses an address that probes unknown codes, also for codes that exist', async () => {
    const clock = new ManualClock(start);
    t = await startTestApp({ RATE_LIMIT_PROBE: 'fixed-window 3/1m' }, { clock });
    const code = (await create(t)).json().code;
    for (let i = 0; i < 3; i++) expect((await t.runtime.app.inject({ url: `/probe${i}` })).statusCode).toBe(404);
    const blocked = await t.runtime.app.inject({ url: `/${code}` });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().policy).toBe('probe');
    // A probe policy counts 404s, not requests: advertised only when it refuses.
    expect(blocked.headers['ratelimit-policy']).toBe('"probe";q=3;w=60');
    expect(blocked.headers.ratelimit).toMatch(/^"probe";r=0;t=\d+$/);
    expect((await t.runtime.app.inject({ url: `/${code}`, remoteAddress: '192.0.2.10' })).headers['ratelimit-policy']).toBeUndefined();
    const other = await t.runtime.app.inject({ url: `/${code}`, remoteAddress: '192.0.2.9' });
    expect(other.statusCode).toBe(302);
    clock.advance(60_000);
    expect((await t.runtime.app.inject({ url: `/${code}` })).statusCode).toBe(302);
  });

  it('keys by X-Forwarded-For only behind a trusted proxy', async () => {
    const clock = new ManualClock(start);
    const limited = { RATE_LIMIT_CREATE: 'fixed-window 1/1m' };
    t = await startTestApp({ ...limited, TRUST_PROXY: '127.0.0.1' }, { clock });
    const via = (client: string) => create(t!, { 'x-forwarded-for': client });
    expect((await via('198.51.100.1')).statusCode).toBe(201);
    expect((await via('198.51.100.2')).statusCode).toBe(201);
    expect((await via('198.51.100.1')).statusCode).toBe(429);
    await t.close();
    t = await startTestApp(limited, { clock });
    expect((await via('198.51.100.1')).statusCode).toBe(201);
    // Untrusted: the header is ignored and both share the socket's address.
    expect((await via('198.51.100.2')).statusCode).toBe(429);
  });

  it('fails open or closed, per policy, when the store cannot be reached', async () => {
    // Nothing listens on port 1: every Redis call fails at once.
    t = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_CREATE: 'fixed-window 1/1m fail=open' });
    expect((await create(t)).statusCode).toBe(201);
    expect((await create(t)).statusCode).toBe(201);
    expect((await t.runtime.app.inject({ url: '/metrics' })).body).toMatch(/ratelimit_store_errors_total\{policy="create",mode="open"\} 2/);
    expect((await t.runtime.app.inject({ url: '/readyz' })).json().checks.ratelimit).not.toBe('ok');
    await t.close();
    t = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_CREATE: 'fixed-window 1/1m fail=closed' });
    const refused = await create(t);
    expect(refused.statusCode).toBe(503);
    expect(refused.json().code).toBe('rate_limit_unavailable');
    expect(refused.headers['retry-after']).toBe('1');
  });

  describe.runIf(redisUp)('with the Redis store', () => {
    it('shares counters through Redis between two instances', async () => {
      const env = { REDIS_URL: SERVICES.redis, REDIS_PREFIX: `test-${randomUUID()}:`, RATE_LIMIT_CREATE: 'fixed-window 3/1h' };
      t = await startTestApp(env);
      const other = await startTestApp(env);
      try {
        const statuses = [];
        for (let i = 0; i < 5; i++) statuses.push((await create(i % 2 ? other : t)).statusCode);
        expect(statuses).toEqual([201, 201, 201, 429, 429]);
        expect((await t.runtime.app.inject({ url: '/readyz' })).json().checks.ratelimit).toBe('ok');
      } finally {
        await other.close();
      }
    });
  });
});
