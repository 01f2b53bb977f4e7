import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/platform/clock/index.js';
import { deleteKeys } from '../src/platform/redis/testing/redis-keys.js';
import { SERVICES, shouldRun } from './helpers/services.js';
import { BROWSER_UA, startTestApp, waitFor, type TestApp } from './helpers/test-app.js';

/**
 * A cached redirect is answered before Fastify routes the request (redirect.fast-path.ts), so
 * `inject`, which calls Fastify directly, never sees that path: these tests speak HTTP to a
 * listening server and compare what the two paths answer.
 */
const redis = await shouldRun('redis');

describe('the redirect fast path, over HTTP', () => {
  let t: TestApp | undefined;
  let base = '';
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function start(env: Record<string, string> = {}, clock?: ManualClock): Promise<void> {
    t = await startTestApp(env, clock === undefined ? {} : { clock });
    base = await t.runtime.app.listen({ host: '127.0.0.1', port: 0 });
  }
  const create = async (body: object) => {
    const res = await fetch(`${base}/api/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { code: string }).code;
  };
  const follow = (path: string, headers: Record<string, string> = {}, method = 'GET') => fetch(`${base}${path}`, { method, redirect: 'manual', headers: { 'user-agent': BROWSER_UA, ...headers } });
  // What does not depend on the request: the date, the request id and the limiter's running count aside.
  const stable = (res: Response) => Object.fromEntries([...res.headers].filter(([name]) => !['date', 'x-request-id', 'ratelimit'].includes(name)));

  it('answers a cached code as the router does, without generating a request id, and counts the click', async () => {
    await start();
    const code = await create({ url: 'https://example.com/fast?q=1' });
    const routed = await follow(`/${code}`); // a miss: the router's answer, which fills the cache
    const fast = await follow(`/${code}`, { referer: 'https://news.example.org/item' });
    expect(routed.status).toBe(302);
    expect(routed.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(fast.status).toBe(302);
    expect(fast.headers.get('x-request-id')).toBeNull();
    expect(stable(fast)).toEqual(stable(routed));
    expect(fast.headers.get('location')).toBe('https://example.com/fast?q=1');
    expect(fast.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(fast.headers.get('content-length')).toBe('0');
    // A caller's own request id is echoed, a query string ignored, HEAD answered without a body.
    expect((await follow(`/${code}?utm_source=x`, { 'x-request-id': 'trace-42' })).headers.get('x-request-id')).toBe('trace-42');
    const head = await follow(`/${code}`, {}, 'HEAD');
    expect([head.status, await head.text()]).toEqual([302, '']);

    const stats = async () => (await (await fetch(`${base}/api/v1/links/${code}/stats`)).json()) as { total: number; heads: number; referrers?: { host: string }[] };
    expect(await waitFor(async () => (await stats()).total + (await stats()).heads >= 4)).toBe(true);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/http_requests_total\{method="GET",route="\/:code",status="302"\} 3/);
  });

  it('keeps the cache-control of a 301, and leaves previews, credentials and static routes to the router', async () => {
    await start();
    const code = await create({ url: 'https://example.com/moved', redirect: 301 });
    await follow(`/${code}`);
    const fast = await follow(`/${code}`);
    expect(fast.status).toBe(301);
    expect(fast.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    const preview = await follow(`/${code}+`);
    expect(preview.status).toBe(200);
    expect(preview.headers.get('content-type')).toContain('text/html');
    // With credentials the router answers (it authenticates); a request id shows it.
    const withToken = await follow(`/${code}`, { authorization: 'Basic Zm9vOmJhcg==' });
    expect(withToken.status).toBe(301);
    expect(withToken.headers.get('x-request-id')).not.toBeNull();
    const health = await follow('/healthz');
    expect(health.status).toBe(200);
  });

  it('stops serving a code from memory once it is deleted or expires', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    await start({}, clock);
    const signup = await fetch(`${base}/api/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'fastpath', email: 'fastpath@example.com', password: 'a long enough password' }) });
    const token = ((await signup.json()) as { accessToken: string }).accessToken;
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const mine = await fetch(`${base}/api/v1/links`, { method: 'POST', headers: auth, body: JSON.stringify({ url: 'https://example.com/mine' }) });
    const code = ((await mine.json()) as { code: string }).code;
    const expiring = await create({ url: 'https://example.com/soon', expiresAt: new Date(clock.now() + 60_000).toISOString() });
    for (const c of [code, expiring]) {
      await follow(`/${c}`);
      expect((await follow(`/${c}`)).status).toBe(302);
    }
    expect((await fetch(`${base}/api/v1/links/${code}`, { method: 'DELETE', headers: { authorization: auth.authorization } })).status).toBe(204);
    expect((await follow(`/${code}`)).status).toBe(404);
    clock.advance(61_000);
    expect((await follow(`/${expiring}`)).status).toBe(410);
  });

  it('applies the rate limits once per request: allowed with headers, held, then refused by the router', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    await start({ RATE_LIMIT_GLOBAL: 'leaky-bucket 10/1s burst=2' }, clock);
    const code = await create({ url: 'https://example.com/limited' });
    await follow(`/${code}`); // fills the cache
    clock.advance(1_000); // and the bucket drains
    const timed = async () => {
      const before = Date.now();
      const res = await follow(`/${code}`);
      return { res, ms: Date.now() - before };
    };
    const first = await timed();
    expect(first.res.status).toBe(302);
    expect(first.res.headers.get('ratelimit-policy')).toBe('"global";q=3;w=1');
    expect(first.res.headers.get('x-request-id')).toBeNull();
    const second = await timed();
    expect(second.res.status).toBe(302);
    expect(second.ms).toBeGreaterThanOrEqual(60);
    // Held by the router after the fast path decided: one decision, so the third is held longer, the fourth refused.
    expect(second.res.headers.get('x-request-id')).not.toBeNull();
    const third = await timed();
    expect(third.ms).toBeGreaterThanOrEqual(150);
    const fourth = await timed();
    expect(fourth.res.status).toBe(429);
    expect(fourth.res.headers.get('content-type')).toContain('application/problem+json');
    expect(fourth.res.headers.get('retry-after')).not.toBeNull();
  });

  it.runIf(redis)('decides limits kept in Redis from leases, on the fast path, and never admits beyond them', async () => {
    const prefix = `bpt${randomBytes(4).toString('hex')}:`;
    try {
      await start({ REDIS_URL: SERVICES.redis, REDIS_PREFIX: prefix, RATE_LIMIT_GLOBAL: 'fixed-window 40/1m by=ip', RATE_LIMIT_LEASE: '16' });
      const code = await create({ url: 'https://example.com/leased' }); // one request of the 40
      const answers = [];
      for (let i = 0; i < 60; i++) answers.push(await follow(`/${code}`));
      const redirected = answers.filter((r) => r.status === 302);
      // A lease is an eighth of the quota (5): fewer than 1.5 leases left unspent in this one process.
      expect(redirected.length).toBeLessThanOrEqual(39);
      expect(redirected.length).toBeGreaterThan(39 - 8);
      expect(answers.slice(redirected.length).every((r) => r.status === 429)).toBe(true);
      // Most were answered before the router: only a lease's first request waits for Redis.
      expect(redirected.filter((r) => r.headers.get('x-request-id') === null).length).toBeGreaterThanOrEqual(25);
    } finally {
      const client = new Redis(SERVICES.redis);
      await deleteKeys(client, `${prefix}*`);
      await client.quit();
    }
  });
});
