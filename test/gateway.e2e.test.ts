import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { assembleEdge } from '../src/composition/edge.js';
import { loadConfig } from '../src/config/index.js';
import { startGateway, type Gateway } from '../src/gateway/index.js';
import { createLogger } from '../src/observability/logger.js';
import { startTestApp, waitFor, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

/**
 * The gateway in front of real API runtimes (embedded), plus upstreams that refuse connections or
 * answer 503, as a dead or overloaded instance would.
 */
describe('gateway', () => {
  let api: TestApp;
  let apiAddress: string;
  let unavailable: Server;
  let unavailableHits = 0;
  const deadAddress = '127.0.0.1:9'; // discard port: nothing listens on loopback
  const gateways: Gateway[] = [];

  beforeAll(async () => {
    api = await startTestApp({ TRUST_PROXY: '127.0.0.1', STREAM_HEARTBEAT_SECONDS: '1' });
    apiAddress = new URL(await api.runtime.app.listen({ host: '127.0.0.1', port: 0 })).host;
    unavailable = createServer((_req, res) => {
      unavailableHits++;
      res.writeHead(503, { 'content-type': 'text/plain' }).end('overloaded');
    });
    await new Promise<void>((r) => unavailable.listen(0, '127.0.0.1', r));
  });
  afterEach(async () => {
    for (const g of gateways.splice(0)) await g.close();
  });
  afterAll(async () => {
    await api?.close();
    unavailable?.close();
  });

  const start = async (env: Record<string, string>) => {
    const config = loadConfig({
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      RATE_LIMIT_GLOBAL: 'off',
      // The API's issuer: the gateway checks tokens against it.
      PUBLIC_URL: 'http://sho.rt',
      GATEWAY_HEALTH_INTERVAL_MS: '100',
      GATEWAY_HEALTH_TIMEOUT_MS: '200',
      ...env,
    });
    const gateway = await startGateway(config, assembleEdge(config, { logger: createLogger('silent', { buffered: false }) }));
    gateways.push(gateway);
    const base = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
    return { gateway, base };
  };
  const metric = async (base: string, pattern: RegExp) => {
    const text = await (await fetch(`${base}/metrics`)).text();
    return text.split('\n').filter((l) => pattern.test(l)).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  };

  it('passes requests, bodies and answers through, with X-Forwarded-For and the request id', async () => {
    const { base } = await start({ GATEWAY_UPSTREAMS: apiAddress });
    const created = await fetch(`${base}/api/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'trace-me-1' }, body: JSON.stringify({ url: 'https://example.com/via-gateway' }) });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-request-id')).toBe('trace-me-1');
    const { code } = (await created.json()) as { code: string };
    const redirect = await fetch(`${base}/${code}`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('https://example.com/via-gateway');
    const head = await fetch(`${base}/${code}`, { method: 'HEAD', redirect: 'manual' });
    expect(head.status).toBe(302);
    // Bad input is the API's 4xx, as problem+json, not a gateway error.
    const bad = await fetch(`${base}/api/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"url":' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('answers plain GETs before its router exactly as its route does (a redirect, HEAD, a 404, a cacheable miss, a dead pool)', async () => {
    const created = await api.runtime.app.inject({ method: 'POST', url: '/api/v1/links', payload: { url: 'https://example.com/fast' } });
    const { code } = created.json() as { code: string };
    const { gateway, base } = await start({ GATEWAY_UPSTREAMS: apiAddress, GATEWAY_BREAKER_FAILURES: '1000', GATEWAY_CACHE_MAX_ENTRIES: '0' });
    // What does not depend on the request: the date, the request id and per-connection headers aside.
    const stable = (headers: Iterable<[string, string]>) => Object.fromEntries([...headers].filter(([name]) => !['date', 'x-request-id', 'connection', 'keep-alive'].includes(name)));
    for (const [method, path] of [['GET', `/${code}`], ['HEAD', `/${code}`], ['GET', '/api/v1/links/nope-nope'], ['GET', `/api/v1/links/${code}?x=%20y`]] as const) {
      const fast = await fetch(`${base}${path}`, { method, redirect: 'manual', headers: { 'x-request-id': 'same-id-1' } });
      const routed = await gateway.app.inject({ method, url: path, headers: { 'x-request-id': 'same-id-1' } });
      expect(fast.status, path).toBe(routed.statusCode);
      expect(await fast.text(), path).toBe(routed.body);
      expect(stable(fast.headers), path).toEqual(stable(Object.entries(routed.headers).map(([k, v]) => [k, String(v)])));
      expect(fast.headers.get('x-request-id'), path).toBe('same-id-1');
    }
    // Counted by the route's name, as the router counts it (the injected requests included).
    expect(await metric(base, /^http_requests_total\{method="GET",route="\/\*",status="302"\}/)).toBe(2);

    // With the shared cache on, a cacheable answer the fast path fetched is stored: the next one is a hit.
    const cached = await start({ GATEWAY_UPSTREAMS: apiAddress, GATEWAY_BREAKER_FAILURES: '1000' });
    const qr = `${cached.base}/api/v1/links/${code}/qr`;
    const miss = await fetch(qr);
    expect(miss.headers.get('x-cache')).toBe('MISS');
    const body = Buffer.from(await miss.arrayBuffer());
    const hit = await fetch(qr, { headers: { 'if-none-match': 'W/"other"' } });
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.headers.get('etag')).toBe(miss.headers.get('etag'));
    expect(Buffer.from(await hit.arrayBuffer()).equals(body)).toBe(true);
    expect(await metric(cached.base, /^gateway_cache_total\{result="miss"\}/)).toBe(1);

    // A pool with nobody in it: the route's problem, with the security headers and the request id.
    const dead = await start({ GATEWAY_UPSTREAMS: deadAddress, GATEWAY_RETRIES: '0' });
    const fastDown = await fetch(`${dead.base}/api/v1/links/abc`, { headers: { 'x-request-id': 'down-1' } });
    const routedDown = await dead.gateway.app.inject({ url: '/api/v1/links/abc', headers: { 'x-request-id': 'down-1' } });
    expect(fastDown.status).toBe(routedDown.statusCode);
    expect(await fastDown.json()).toEqual(routedDown.json());
    expect(stable(fastDown.headers)).toEqual(stable(Object.entries(routedDown.headers).map(([k, v]) => [k, String(v)])));
  });

  it('answers its own errors (no upstream, bad URL, 414, 431, garbage) as problem+json with the request id and security headers', async () => {
    const { base } = await start({ GATEWAY_UPSTREAMS: deadAddress, GATEWAY_RETRIES: '0' });
    const check = async (res: Response, status: number) => {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('x-request-id')).toBeTruthy();
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const problem = (await res.json()) as { status: number; code: string };
      expect(problem.status).toBe(status);
      expect(problem.code).toMatch(/^[a-z_]+$/);
    };
    const down = await fetch(`${base}/api/v1/links/abc`);
    expect(down.status).toBeGreaterThanOrEqual(502);
    await check(down, down.status);
    await check(await fetch(`${base}/api/v1/links/%E0%A4%A`), 400);
    await check(await fetch(`${base}/healthz`, { headers: { 'x-big': 'a'.repeat(20_000) } }), 431);
  });

  it('keeps its /metrics for METRICS_TOKEN, even where it checks access tokens at the edge', async () => {
    const token = 'gateway-scraper-0123456789';
    const { base } = await start({ GATEWAY_UPSTREAMS: apiAddress, METRICS_TOKEN: token, GATEWAY_AUTH: 'verify' });
    const closed = await fetch(`${base}/metrics`);
    expect(closed.status).toBe(401);
    expect(closed.headers.get('content-type')).toContain('application/problem+json');
    expect(((await closed.json()) as { code: string }).code).toBe('metrics_credentials_required');
    const open = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(open.status).toBe(200);
    expect(await open.text()).toContain('gateway_upstream_healthy');
    // Elsewhere the same token is no access token: the edge refuses it.
    expect((await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  it('streams server-sent events through', async () => {
    const { base } = await start({ GATEWAY_UPSTREAMS: apiAddress });
    const user = await signUp(api, 'streamer');
    const aborted = new AbortController();
    const response = await fetch(`${base}/api/v1/stream`, { headers: bearer(user.token), signal: aborted.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    const first = await Promise.race([reader.read(), new Promise<undefined>((r) => setTimeout(() => r(undefined), 5_000))]);
    aborted.abort();
    expect(first?.value?.length).toBeGreaterThan(0);
  });

  it('hangs up on the API when the client hangs up on a stream', async () => {
    const { base } = await start({ GATEWAY_UPSTREAMS: apiAddress });
    const user = await signUp(api, 'quitter');
    // The API allows 8 streams per user at once: 12 in turn only fit if each one the client drops
    // is dropped upstream too.
    for (let i = 0; i < 12; i++) {
      const aborted = new AbortController();
      const response = await fetch(`${base}/api/v1/stream`, { headers: bearer(user.token), signal: aborted.signal });
      expect(response.status).toBe(200);
      await response.body!.getReader().read();
      aborted.abort();
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it('retries idempotent requests on another upstream and ejects the dead one', async () => {
    const { gateway, base } = await start({ GATEWAY_UPSTREAMS: `${apiAddress}, ${deadAddress}`, GATEWAY_POLICY: 'round-robin', GATEWAY_EJECT_AFTER_ERRORS: '3', GATEWAY_HEALTH_INTERVAL_MS: '60000' });
    for (let i = 0; i < 20; i++) expect((await fetch(`${base}/api/v1/users/nobody`)).status).toBe(404);
    expect(await metric(base, /^gateway_retries_total\{reason="connect_error"\}/)).toBeGreaterThanOrEqual(1);
    // Every request was answered by the live upstream; the dead one counted its refusals.
    expect(await metric(base, new RegExp(`^gateway_upstream_requests_total\\{upstream="${apiAddress}",outcome="ok"\\}`))).toBe(20);
    expect(await metric(base, new RegExp(`^gateway_upstream_requests_total\\{upstream="${deadAddress}",outcome="connect_error"\\}`))).toBeGreaterThanOrEqual(1);
    const dead = gateway.pool.balancer.snapshot().find((s) => s.id === deadAddress)!;
    expect(dead.ejectedUntil).toBeGreaterThan(Date.now());
    // A POST that never reached an upstream (connection refused) is safe to send to another.
    const { gateway: g2, base: b2 } = await start({ GATEWAY_UPSTREAMS: `${deadAddress}, ${apiAddress}`, GATEWAY_POLICY: 'round-robin', GATEWAY_HEALTH_INTERVAL_MS: '60000' });
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${b2}/api/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: `https://example.com/post-${i}` }) });
      expect(r.status).toBe(201);
    }
    expect(g2.pool.balancer.snapshot().find((s) => s.id === deadAddress)!.consecutiveErrors).toBeGreaterThan(0);
  });

  it('retries a 503 for GET, but never sends a POST twice', async () => {
    const unavailableAddress = `127.0.0.1:${(unavailable.address() as AddressInfo).port}`;
    const { base } = await start({ GATEWAY_UPSTREAMS: `${unavailableAddress}, ${apiAddress}`, GATEWAY_POLICY: 'round-robin', GATEWAY_EJECT_AFTER_ERRORS: '1000', GATEWAY_HEALTH_INTERVAL_MS: '60000' });
    for (let i = 0; i < 6; i++) expect((await fetch(`${base}/api/v1/users/nobody`)).status).toBe(404);
    const hits = unavailableHits;
    const posts = [];
    for (let i = 0; i < 6; i++) posts.push((await fetch(`${base}/api/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://example.com/once' }) })).status);
    // Round robin sends half the POSTs to the overloaded upstream, whose 503 is the answer.
    expect(posts.filter((s) => s === 503).length).toBe(unavailableHits - hits);
    expect(posts.filter((s) => s === 201).length).toBe(6 - (unavailableHits - hits));
  });

  it('answers 503 problem+json when no upstream is left, then fails fast with the breaker open', async () => {
    const { gateway, base } = await start({ GATEWAY_UPSTREAMS: deadAddress, GATEWAY_RETRIES: '0', GATEWAY_BREAKER_FAILURES: '3', GATEWAY_EJECT_AFTER_ERRORS: '1000', GATEWAY_HEALTH_INTERVAL_MS: '60000' });
    const first = await fetch(`${base}/anything`);
    expect(first.status).toBe(502);
    expect(first.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await first.json()) as { code: string }).code).toBe('upstream_unreachable');
    await fetch(`${base}/anything`);
    await fetch(`${base}/anything`);
    expect(gateway.pool.breaker.state).toBe('open');
    const fast = await fetch(`${base}/anything`);
    expect(fast.status).toBe(503);
    expect(fast.headers.get('retry-after')).toBe('1');
    expect(((await fast.json()) as { code: string }).code).toBe('circuit_open');
  });

  it('is not ready while no upstream passes its health check', async () => {
    const { base } = await start({ GATEWAY_UPSTREAMS: deadAddress, GATEWAY_UNHEALTHY_THRESHOLD: '2' });
    expect(await waitFor(async () => (await fetch(`${base}/readyz`)).status === 503, { timeoutMs: 5_000 })).toBe(true);
    const answer = await fetch(`${base}/anything`);
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { code: string }).code).toBe('upstream_unavailable');
  });

  it('caches public GETs, answers conditional requests, and serves stale while the pool is down', async () => {
    const created = await api.runtime.app.inject({ method: 'POST', url: '/api/v1/links', payload: { url: 'https://example.com/qr' } });
    const { code } = created.json() as { code: string };
    const { base } = await start({ GATEWAY_UPSTREAMS: apiAddress, GATEWAY_BREAKER_FAILURES: '1000' });
    const qr = `${base}/api/v1/links/${code}/qr`;
    const miss = await fetch(qr);
    expect(miss.status).toBe(200);
    expect(miss.headers.get('x-cache')).toBe('MISS');
    const body = Buffer.from(await miss.arrayBuffer());
    const hit = await fetch(qr);
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(Buffer.from(await hit.arrayBuffer()).equals(body)).toBe(true);
    const etag = hit.headers.get('etag')!;
    expect((await fetch(qr, { headers: { 'if-none-match': etag } })).status).toBe(304);
    // With credentials the cache is bypassed.
    expect((await fetch(qr, { headers: { authorization: 'Bearer nope' } })).headers.get('x-cache')).toBeNull();
    // The HIT and the 304 both came from the cache.
    expect(await metric(base, /^gateway_cache_total\{result="hit"\}/)).toBe(2);
  });

  it('revalidates a stale entry with its ETag, and serves it stale while the upstream is down', async () => {
    let served = 0;
    let revalidated = 0;
    const origin = createServer((req, res) => {
      if (req.url === '/readyz') return res.writeHead(200).end('{}');
      if (req.headers['if-none-match'] === '"v1"') {
        revalidated++;
        return res.writeHead(304, { etag: '"v1"', 'cache-control': 'public, max-age=1' }).end();
      }
      served++;
      res.writeHead(200, { 'content-type': 'text/plain', etag: '"v1"', 'cache-control': 'public, max-age=1' }).end('document v1');
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    const { base } = await start({ GATEWAY_UPSTREAMS: `127.0.0.1:${(origin.address() as AddressInfo).port}`, GATEWAY_RETRIES: '0', GATEWAY_BREAKER_FAILURES: '1000' });
    const get = async () => {
      const r = await fetch(`${base}/doc`);
      return { status: r.status, cache: r.headers.get('x-cache'), body: await r.text() };
    };
    expect(await get()).toEqual({ status: 200, cache: 'MISS', body: 'document v1' });
    expect(await get()).toEqual({ status: 200, cache: 'HIT', body: 'document v1' });
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await get()).toEqual({ status: 200, cache: 'REVALIDATED', body: 'document v1' });
    expect({ served, revalidated }).toEqual({ served: 1, revalidated: 1 });
    origin.closeAllConnections();
    await new Promise((r) => origin.close(r));
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await get()).toEqual({ status: 200, cache: 'STALE', body: 'document v1' });
    // Nothing cached for this one: the failure shows (502, or 503 once the health check took the upstream out).
    expect([502, 503]).toContain((await fetch(`${base}/other`)).status);
  });
  it('streams a large cacheable answer through instead of keeping it, byte for byte', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const origin = createServer((req, res) => {
      if (req.url === '/readyz') return res.writeHead(200).end('{}');
      // No content-length: the gateway learns the size only by reading past its bound.
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'public, max-age=60' });
      for (let at = 0; at < big.length; at += 65_536) res.write(big.subarray(at, at + 65_536));
      res.end();
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    try {
      const { base } = await start({ GATEWAY_UPSTREAMS: `127.0.0.1:${(origin.address() as AddressInfo).port}` });
      for (let i = 0; i < 2; i++) {
        const r = await fetch(`${base}/big`);
        expect(r.status).toBe(200);
        expect(r.headers.get('x-cache')).toBeNull();
        expect(Buffer.from(await r.arrayBuffer()).equals(big)).toBe(true);
      }
    } finally {
      origin.close();
    }
  });
  it('checks access tokens at the edge: a good one passes and names the user, a forged one is refused there', async () => {
    const { base } = await start({ GATEWAY_UPSTREAMS: apiAddress, RATE_LIMIT_GLOBAL: 'fixed-window 1000/1m by=user' });
    const user = await signUp(api, 'edgy');
    const me = await fetch(`${base}/api/v1/me`, { headers: bearer(user.token) });
    expect(me.status).toBe(200);
    // The limit counted this user, not the address: the gateway knew who it was.
    expect(me.headers.get('ratelimit')).toMatch(/r=999/);
    const apiSaw = async () => (await api.runtime.app.inject({ url: '/metrics' })).body.split('\n').filter((l) => l.startsWith('http_requests_total') && l.includes('/api/v1/me')).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    const before = await apiSaw();
    const [head, payload, signature] = user.token.split('.');
    const forged = `${head}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: '1' })).toString('base64url')}.${signature}`;
    for (const token of [forged, `${user.token.slice(0, -4)}AAAA`]) {
      const refused = await fetch(`${base}/api/v1/me`, { headers: bearer(token) });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      expect(((await refused.json()) as { code: string }).code).toBe('invalid_token');
    }
    expect(await apiSaw()).toBe(before);
    // API keys are the API's to judge.
    expect((await fetch(`${base}/api/v1/me`, { headers: bearer('bp_' + 'x'.repeat(40)) })).status).toBe(401);
    expect(await apiSaw()).toBe(before + 1);
  });

  it('proxies WebSocket upgrades to the API (Mastodon streaming), counts them, and closes them with 1001 when it shuts down', async () => {
    const { gateway, base } = await start({ GATEWAY_UPSTREAMS: apiAddress, GATEWAY_AUTH: 'off' });
    const wsBase = base.replace(/^http/, 'ws');
    const user = await signUp(api, 'socketeer');
    // The API's own refusal (a bad token, before the upgrade) comes through as its 401.
    const refused = new WebSocket(`${wsBase}/api/v1/streaming?stream=user&access_token=bpo_${'x'.repeat(43)}`);
    refused.on('error', () => {});
    expect(await new Promise<number>((resolve) => refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)))).toBe(401);
    const ws = new WebSocket(`${wsBase}/api/v1/streaming?stream=public:local`);
    const events: { event: string; payload: string }[] = [];
    ws.on('message', (m) => events.push(JSON.parse(String(m)) as { event: string; payload: string }));
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
    expect(await metric(base, /^gateway_websockets_open\{/)).toBe(1);
    // Subscriptions are made right after the upgrade: post until one arrives through the gateway.
    let id = '';
    expect(
      await waitFor(
        async () => {
          id = ((await (await fetch(`${base}/api/v1/tweets`, { method: 'POST', headers: { ...bearer(user.token), 'content-type': 'application/json' }, body: JSON.stringify({ text: `via the gateway ${Date.now()}` }) })).json()) as { id: string }).id;
          return waitFor(() => events.some((e) => e.event === 'update' && (JSON.parse(e.payload) as { id: string }).id === id), { timeoutMs: 500 });
        },
        { timeoutMs: 8_000 },
      ),
    ).toBe(true);
    await gateway.close();
    expect(await closed).toBe(1001);
  });
});
