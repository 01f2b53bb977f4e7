import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HomeTimeline } from '../src/modules/feed/home-timeline.js';
import { deleteKeys } from '../src/platform/redis/testing/redis-keys.js';
import { SERVICES, shouldRun } from './helpers/services.js';
import { startTestApp, waitFor, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

/**
 * The home timeline answered before Fastify routes the request (home.fast-path.ts). `inject` calls
 * Fastify directly, so it gives the router's answer; these tests speak HTTP to a listening server
 * and compare the two, and tell the paths apart by whether the route's `HomeTimeline.page` ran.
 */
const ENV = { PASSWORD_HASH_MEMORY_KIB: '8192' };
const redis = await shouldRun('redis');

describe('the home-timeline fast path, over HTTP', () => {
  let t: TestApp | undefined;
  let base = '';
  afterEach(async () => {
    vi.restoreAllMocks();
    await t?.close();
    t = undefined;
  });

  async function start(env: Record<string, string> = {}): Promise<void> {
    t = await startTestApp({ ...ENV, ...env });
    base = await t.runtime.app.listen({ host: '127.0.0.1', port: 0 });
  }
  const app = () => t!.runtime.app;
  /** Two users, the reader following the author, with `n` tweets of the author in the reader's home. */
  async function seed(n: number) {
    const reader = await signUp(t!, 'reader');
    const author = await signUp(t!, 'author');
    expect((await app().inject({ method: 'PUT', url: '/api/v1/users/author/follow', headers: bearer(reader.token) })).statusCode).toBe(200);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await app().inject({ method: 'POST', url: '/api/v1/tweets', headers: bearer(author.token), payload: { text: `tweet ${i}` } });
      expect(res.statusCode).toBe(201);
      ids.push((res.json() as { id: string }).id);
    }
    return { reader, author, ids };
  }
  const overHttp = (path: string, token: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers: { ...bearer(token), ...headers } });
  const routed = (path: string, token: string) => app().inject({ method: 'GET', url: path, headers: bearer(token) });
  // What does not depend on the request: the date, the request id and the limiter's running count aside.
  const stable = (headers: Iterable<[string, string]>) => Object.fromEntries([...headers].filter(([name]) => !['date', 'x-request-id', 'ratelimit', 'connection', 'keep-alive'].includes(name)));

  it('answers a page held in memory as the route does, byte for byte, without running the route', async () => {
    await start();
    const { reader, ids } = await seed(25);
    // The first read is the route's (it records the read, loads the likes); the next come from memory.
    const first = await overHttp('/api/v1/timeline/home?limit=10', reader.token);
    expect(first.status).toBe(200);
    const page = vi.spyOn(HomeTimeline.prototype, 'page');
    for (const path of ['/api/v1/timeline/home', '/api/v1/timeline/home?limit=10', `/api/v1/timeline/home?limit=5&cursor=${ids[20]}`, `/api/v1/timeline/home?cursor=${ids[20]}&limit=5`]) {
      const fast = await overHttp(path, reader.token);
      const body = await fast.text();
      const viaRouter = await routed(path, reader.token);
      expect(fast.status, path).toBe(200);
      expect(body, path).toBe(viaRouter.body);
      expect(stable(fast.headers), path).toEqual(stable(Object.entries(viaRouter.headers).map(([k, v]) => [k, String(v)])));
      expect(fast.headers.get('x-request-id'), path).toMatch(/^[0-9a-f-]{36}$/);
    }
    // Each HTTP read was answered without the route; each inject ran it.
    expect(page).toHaveBeenCalledTimes(4);
    const items = (JSON.parse(await (await overHttp(`/api/v1/timeline/home?limit=5&cursor=${ids[20]}`, reader.token)).text()) as { items: { id: string }[] }).items;
    expect(items.map((i) => i.id)).toEqual(ids.slice(15, 20).reverse());
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/http_requests_total\{method="GET",route="\/api\/v1\/timeline\/home",status="200"\} 10/);
  });

  it('shows a like, a delete, a new tweet and an unfollow on the next read', async () => {
    await start();
    const { reader, author, ids } = await seed(3);
    await overHttp('/api/v1/timeline/home', reader.token);
    const read = async () => (JSON.parse(await (await overHttp('/api/v1/timeline/home', reader.token)).text()) as { items: { id: string; likeCount: number; likedByMe: boolean }[] }).items;
    expect((await read()).map((i) => i.id)).toEqual([...ids].reverse());

    expect((await app().inject({ method: 'PUT', url: `/api/v1/tweets/${ids[1]}/like`, headers: bearer(reader.token) })).statusCode).toBe(200);
    expect((await read()).find((i) => i.id === ids[1])).toMatchObject({ likeCount: 1, likedByMe: true });

    expect((await app().inject({ method: 'DELETE', url: `/api/v1/tweets/${ids[0]}`, headers: bearer(author.token) })).statusCode).toBe(204);
    const posted = await app().inject({ method: 'POST', url: '/api/v1/tweets', headers: bearer(author.token), payload: { text: 'fresh' } });
    const fresh = (posted.json() as { id: string }).id;
    expect((await read()).map((i) => i.id)).toEqual([fresh, ids[2], ids[1]]);

    expect((await app().inject({ method: 'DELETE', url: '/api/v1/users/author/follow', headers: bearer(reader.token) })).statusCode).toBe(200);
    expect(await read()).toEqual([]);
  });

  it('leaves to the route what it cannot answer alone: bad or unknown tokens, odd queries, cross-origin calls', async () => {
    await start();
    const { reader } = await seed(2);
    await overHttp('/api/v1/timeline/home', reader.token);
    const page = vi.spyOn(HomeTimeline.prototype, 'page');
    expect((await overHttp('/api/v1/timeline/home', 'not-a-token')).status).toBe(401);
    expect((await fetch(`${base}/api/v1/timeline/home`)).status).toBe(401);
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'cursor=x', 'limit=5&limit=6']) {
      const res = await overHttp(`/api/v1/timeline/home?${query}`, reader.token);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type'), query).toContain('application/problem+json');
    }
    const cors = await overHttp('/api/v1/timeline/home', reader.token, { origin: 'http://localhost:3000' });
    expect(cors.status).toBe(200);
    expect(page).toHaveBeenCalledTimes(1);
    // A path that only starts like the route's is not it.
    expect((await overHttp('/api/v1/timeline/homes', reader.token)).status).toBe(404);
  });

  it('refuses a token whose session logged out on the very next read, though memory still holds the page', async () => {
    await start();
    const { reader } = await seed(2);
    expect((await overHttp('/api/v1/timeline/home', reader.token)).status).toBe(200);
    expect((await overHttp('/api/v1/timeline/home', reader.token)).status).toBe(200);
    expect((await app().inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(reader.token) })).statusCode).toBe(204);
    const refused = await overHttp('/api/v1/timeline/home', reader.token);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('session_revoked');
  });

  it('counts each read once against the rate limits, and lets the route refuse', async () => {
    await start({ RATE_LIMIT_GLOBAL: 'fixed-window 6/1m by=user' });
    const { reader } = await seed(2);
    const statuses: number[] = [];
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await overHttp('/api/v1/timeline/home', reader.token);
      statuses.push(res.status);
      remaining.push(res.headers.get('ratelimit'));
    }
    // seed: the follow counted 1 of 6 (tweets are the author's); then 6 reads, the first routed, the
    // next from memory, each counted once: the sixth is refused (by the route, with its problem).
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(remaining.slice(0, 5).map((r) => /r=(\d+)/.exec(r ?? '')?.[1])).toEqual(['4', '3', '2', '1', '0']);
  });

  it.runIf(redis)('with the timelines in Redis: one range read, then the same answer as the route', async () => {
    const prefix = `bpt${randomBytes(4).toString('hex')}:`;
    try {
      await start({ REDIS_URL: SERVICES.redis, REDIS_PREFIX: prefix });
      const { reader, author, ids } = await seed(12);
      // The fan-out is queued: the reader's timeline fills a moment later.
      expect(await waitFor(async () => ((await routed('/api/v1/timeline/home', reader.token)).json() as { items: unknown[] }).items.length === 12)).toBe(true);
      await overHttp('/api/v1/timeline/home', reader.token);
      const page = vi.spyOn(HomeTimeline.prototype, 'page');
      for (const path of ['/api/v1/timeline/home?limit=5', `/api/v1/timeline/home?limit=5&cursor=${ids[7]}`]) {
        const fast = await overHttp(path, reader.token);
        const viaRouter = await routed(path, reader.token);
        expect(fast.status, path).toBe(200);
        expect(await fast.text(), path).toBe(viaRouter.body);
        expect(stable(fast.headers), path).toEqual(stable(Object.entries(viaRouter.headers).map(([k, v]) => [k, String(v)])));
      }
      expect(page).toHaveBeenCalledTimes(2);
      // A page the cache cannot fill (past its end) is handed back to the route, which answers it.
      const past = await overHttp(`/api/v1/timeline/home?limit=5&cursor=${ids[2]}`, reader.token);
      expect(past.status).toBe(200);
      expect(((await past.json()) as { items: { id: string }[] }).items.map((i) => i.id)).toEqual([ids[1], ids[0]]);
      expect(page).toHaveBeenCalledTimes(3);
      // A delete reaches the next read.
      expect((await app().inject({ method: 'DELETE', url: `/api/v1/tweets/${ids[11]}`, headers: bearer(author.token) })).statusCode).toBe(204);
      const after = (await (await overHttp('/api/v1/timeline/home?limit=3', reader.token)).json()) as { items: { id: string }[] };
      expect(after.items.map((i) => i.id)).toEqual([ids[10], ids[9], ids[8]]);

      // The author posted a moment ago through this process: their own read shows the new tweet at
      // once (the route merges it from the database while the queued fan-out has not delivered it)...
      const own = (await app().inject({ method: 'POST', url: '/api/v1/tweets', headers: bearer(author.token), payload: { text: 'mine' } })).json() as { id: string };
      const first = (await (await overHttp('/api/v1/timeline/home?limit=3', author.token)).json()) as { items: { id: string }[] };
      expect(first.items[0]?.id).toBe(own.id);
      // ...and once their timeline holds it, their reads come from the cache, within the same minute.
      expect(await waitFor(async () => (await t!.runtime.app.inject({ url: '/api/v1/timeline/home?limit=1', headers: bearer(author.token) })).json().items[0]?.id === own.id)).toBe(true);
      await overHttp('/api/v1/timeline/home?limit=3', author.token);
      page.mockClear();
      const cached = (await (await overHttp('/api/v1/timeline/home?limit=3', author.token)).json()) as { items: { id: string }[] };
      expect(cached.items.map((i) => i.id)).toEqual([own.id, ids[10], ids[9]]);
      expect(page).not.toHaveBeenCalled();
    } finally {
      const client = new Redis(SERVICES.redis);
      await deleteKeys(client, `${prefix}*`);
      await client.quit();
    }
  });
});
