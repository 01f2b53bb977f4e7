import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

/** The answer of every error: problem+json with a stable code, the request id, the security headers. */
export function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number, code?: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(res.headers['x-request-id']).toBeTruthy();
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(String(res.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
  const problem = JSON.parse(res.body) as { status: number; code: string; type: string; title: string; detail: string };
  expect(problem).toMatchObject({ status, type: expect.stringMatching(/^https:\/\//), title: expect.any(String), detail: expect.any(String), code: expect.stringMatching(/^[a-z_]+$/) });
  if (code !== undefined) expect(problem.code).toBe(code);
}

/**
 * Regressions of the probe of 2026-12-06 (issue 17): each input answered 5xx, stalled or was
 * accepted when it should not have been.
 */
describe('bad input answers 4xx problem+json, never 5xx', () => {
  let t: TestApp;
  let alice: string;
  let code: string;
  beforeAll(async () => {
    // A small QR budget (10 ms a second), so that a few renders spend it on any machine.
    t = await startTestApp({ PASSWORD_HASH_MEMORY_KIB: '8192', PASSWORD_HASH_ITERATIONS: '1', RATE_LIMIT_AUTH: 'off', QR_RENDER_BUDGET_MS: '10' });
    alice = (await signUp(t, 'alice')).token;
    code = (await inject({ method: 'POST', url: '/api/v1/links', headers: bearer(alice), payload: { url: 'https://example.com/x' } })).json().code;
  });
  afterAll(() => t.close());
  const inject = (opts: InjectOptions | string): Promise<LightMyRequestResponse> => t.runtime.app.inject(opts);

  it('refuses dates past year 9999 or before 1970, or not real, in every form, and the owner\'s list keeps working', async () => {
    for (const expiresAt of ['+010000-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z', '1969-12-31T23:59:59Z', '2027-02-30T00:00:00Z', '2027-04-31', '2027-01-01T24:00:00Z', 'tomorrow']) {
      expectProblem(await inject({ method: 'POST', url: '/api/v1/links', headers: bearer(alice), payload: { url: 'https://example.com/', expiresAt } }), 400, 'expiry_invalid');
      expectProblem(await inject({ method: 'PATCH', url: `/api/v1/links/${code}`, headers: bearer(alice), payload: { expiresAt } }), 400, 'expiry_invalid');
    }
    // A number is not coerced to the string "12345" (read as year 12345).
    expectProblem(await inject({ method: 'PATCH', url: `/api/v1/links/${code}`, headers: bearer(alice), payload: { expiresAt: 12345 } }), 400, 'validation_failed');
    const ok = await inject({ method: 'PATCH', url: `/api/v1/links/${code}`, headers: bearer(alice), payload: { expiresAt: '9999-12-31T23:00:00+00:00' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().expiresAt).toBe('9999-12-31T23:00:00.000Z');
    expect((await inject({ url: '/api/v1/links', headers: bearer(alice) })).statusCode).toBe(200);
    expect((await inject({ url: `/api/v1/links/${code}` })).statusCode).toBe(200);
    await inject({ method: 'PATCH', url: `/api/v1/links/${code}`, headers: bearer(alice), payload: { expiresAt: null } });
  });

  it('refuses a PATCH of only unknown fields instead of running an empty update', async () => {
    expectProblem(await inject({ method: 'PATCH', url: `/api/v1/links/${code}`, headers: bearer(alice), payload: { foo: 1 } }), 400, 'validation_failed');
    expectProblem(await inject({ method: 'PATCH', url: `/api/v1/links/${code}`, headers: bearer(alice), payload: { foo: 1, redirect: 301 } }), 400, 'validation_failed');
  });

  it('refuses non-finite numbers in query strings and bodies, on every paged list', async () => {
    await inject({ method: 'POST', url: '/api/v1/tweets', headers: bearer(alice), payload: { text: 'hello' } });
    const lists = ['/api/v1/links', '/api/v1/users/alice/tweets', '/api/v1/users/alice/followers', '/api/v1/users/alice/following', '/api/v1/notifications', '/api/v1/timeline/home', '/api/v1/search?q=hello&'];
    for (const list of lists) {
      for (const limit of ['Infinity', '1e400', '-Infinity', 'NaN', '1e2', '0x10']) {
        const url = `${list}${list.includes('?') ? '' : '?'}limit=${limit}`;
        const res = await inject({ url, headers: bearer(alice) });
        expect(res.statusCode, `${url}: ${res.body}`).toBeLessThan(500);
        if (!['1e2', '0x10'].includes(limit)) expectProblem(res, 400, 'validation_failed');
      }
    }
    const infinite = await inject({ method: 'POST', url: '/api/v1/links', headers: { ...bearer(alice), 'content-type': 'application/json' }, payload: '{"url":"https://example.com/","redirect":1e400}' });
    expectProblem(infinite, 400, 'validation_failed');
  });

  it('does not coerce body types', async () => {
    expectProblem(await inject({ method: 'POST', url: '/api/v1/tweets', headers: bearer(alice), payload: { text: true } }), 400, 'validation_failed');
    expectProblem(await inject({ method: 'POST', url: '/api/v1/tweets', headers: { ...bearer(alice), 'content-type': 'application/json' }, payload: '{"text":1e309}' }), 400, 'validation_failed');
    expectProblem(await inject({ method: 'POST', url: '/api/v1/links', headers: bearer(alice), payload: { url: ['https://example.com/'] } }), 400, 'validation_failed');
    expectProblem(await inject({ method: 'POST', url: '/api/v1/links', headers: bearer(alice), payload: { url: 'https://example.com/', redirect: '301' } }), 400, 'validation_failed');
  });

  it('refuses tweets of only invisible characters', async () => {
    for (const text of ['\u202E', '\u200B', '\u200B\u200C\u200D\u2060\uFEFF', '\u3164']) {
      expectProblem(await inject({ method: 'POST', url: '/api/v1/tweets', headers: bearer(alice), payload: { text } }), 400, 'tweet_empty');
    }
  });

  it('answers bad statistics ranges with 400', async () => {
    for (const q of ['to=%2B275760-09-13T00:00:00.000Z', 'from=%2B010000-01-01T00:00:00Z', 'to=-000001-01-01T00:00:00Z', 'from=2026-13-01']) {
      expectProblem(await inject({ url: `/api/v1/links/${code}/stats?${q}`, headers: bearer(alice) }), 400, 'range_invalid');
    }
  });

  it('answers router and parser errors as problem+json with the request id and security headers', async () => {
    expectProblem(await inject({ url: '/api/v1/links/%E0%A4%A' }), 400, 'bad_url');
    expectProblem(await inject({ url: `/api/v1/links/${'a'.repeat(120)}` }), 414, 'uri_too_long');
    expectProblem(await inject({ url: '/api/v1/no-such-route' }), 404, 'route_not_found');
    const notAllowed = await inject({ method: 'PUT', url: '/api/v1/links' });
    expectProblem(notAllowed, 405, 'method_not_allowed');
    expect(notAllowed.headers.allow).toBe('GET, HEAD, POST');
    expectProblem(await inject({ method: 'POST', url: '/api/v1/links', headers: { 'content-type': 'text/plain' }, payload: 'https://example.com/' }), 415, 'unsupported_media_type');
    expectProblem(await inject({ method: 'POST', url: '/api/v1/links', headers: { 'content-type': 'application/xml' }, payload: '<a/>' }), 415, 'unsupported_media_type');
    expectProblem(await inject({ method: 'POST', url: '/api/v1/links', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ url: `https://example.com/${'x'.repeat(70_000)}` }) }), 413, 'payload_too_large');
    expectProblem(await inject({ method: 'POST', url: '/api/v1/links', headers: { 'content-type': 'application/json' }, payload: '{"url":' }), 400, 'malformed_body');
  });

  it('answers 431 and malformed HTTP with problem+json on the socket too', async () => {
    await t.runtime.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.runtime.app.server.address() as { port: number }).port;
    const big = await new Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/healthz', headers: { 'x-big': 'a'.repeat(20_000) } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ statusCode: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expectProblem(big, 431, 'headers_too_large');
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GARBAGE / HTTP/1.1\r\n\r\n'));
      let text = '';
      socket.on('data', (c) => (text += c.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toMatch(/content-type: application\/problem\+json/i);
    expect(raw).toMatch(/x-request-id: /i);
    expect(raw).toMatch(/x-content-type-options: nosniff/i);
    expect(raw).toContain('"code":"malformed_request"');
  });

  it('leaves the query string out of `instance` (no ?access_token= echoed)', async () => {
    const res = await inject({ url: '/api/v1/links/zzzzzz?access_token=secret-value' });
    expectProblem(res, 404, 'link_not_found');
    expect(res.json().instance).toBe('/api/v1/links/zzzzzz');
    expect(res.body).not.toContain('secret-value');
    const routed = await inject({ url: '/api/v1/nope?access_token=secret-value' });
    expect(routed.body).not.toContain('secret-value');
  });

  it('answers cursors of other shapes with 400', async () => {
    expect((await inject({ url: '/api/v1/links?cursor=abc', headers: bearer(alice) })).statusCode).toBe(400);
  });

  it('draws QR codes within a CPU budget: a flood of uncached ones gets 503 qr_busy, cached ones still answer', async () => {
    const codes: string[] = [];
    for (let i = 0; i < 12; i++) codes.push((await inject({ method: 'POST', url: '/api/v1/links', payload: { url: `https://example.com/qr/${i}` } })).json().code);
    const first = await inject({ url: `/api/v1/links/${codes[0]}/qr?format=png&size=2048` });
    expect(first.statusCode).toBe(200);
    expect(first.rawPayload.readUInt32BE(16)).toBe(1024);
    const statuses: number[] = [];
    for (const c of codes.slice(1)) {
      const res = await inject({ url: `/api/v1/links/${c}/qr?format=png&size=1024` });
      statuses.push(res.statusCode);
      if (res.statusCode === 503) {
        expectProblem(res, 503, 'qr_busy');
        expect(res.headers['retry-after']).toBeDefined();
      }
    }
    expect(statuses).toContain(503);
    // Varying the size does not defeat the cache: 1000..1100 all draw 1024 pixels, already drawn.
    for (const size of [1000, 1024, 1050, 2048]) expect((await inject({ url: `/api/v1/links/${codes[0]}/qr?format=png&size=${size}` })).statusCode).toBe(200);
  });

  it('refuses links to this service under its loopback spellings, so that two links cannot point at each other', async () => {
    const first = (await inject({ method: 'POST', url: '/api/v1/links', payload: { url: 'https://example.com/a' } })).json().code as string;
    // PUBLIC_URL is http://sho.rt (port 80) and the configured PORT 8080.
    for (const host of ['localhost', 'localhost.', '127.0.0.2', '0.0.0.0', '[::1]', '[::ffff:7f00:1]', 'sho.rt.', 'SHO.RT:80', 'localhost:8080', '[::1]:8080']) {
      expectProblem(await inject({ method: 'POST', url: '/api/v1/links', payload: { url: `http://${host}/${first}` } }), 400, 'url_self');
    }
  });

  it('redirects the docs\' index.html with a query string once, not to itself', async () => {
    const res = await inject({ url: '/api/docs/static/index.html?x' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/api/docs/?x');
  });
});

describe('sessions end their access tokens at once', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PASSWORD_HASH_MEMORY_KIB: '8192', PASSWORD_HASH_ITERATIONS: '1', RATE_LIMIT_AUTH: 'off' });
    await signUp(t, 'carol');
  });
  afterAll(() => t.close());
  const login = async () => {
    const res = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: 'carol', password: 'correct horse battery staple' } });
    expect(res.statusCode).toBe(200);
    const refresh = res.cookies.find((c) => c.name === '__Host-refresh')!.value;
    return { res, token: res.json().accessToken as string, refresh };
  };
  const me = (token: string) => t.runtime.app.inject({ url: '/api/v1/me', headers: bearer(token) });

  it('tells caches not to keep login and refresh answers', async () => {
    const { res, refresh } = await login();
    expect(res.headers['cache-control']).toBe('no-store');
    const refreshed = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: refresh } });
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.headers['cache-control']).toBe('no-store');
  });

  it('refuses an access token once its session logged out, though it has not expired', async () => {
    const { token } = await login();
    const other = await login();
    expect((await me(token)).statusCode).toBe(200);
    expect((await t.runtime.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(token) })).statusCode).toBe(204);
    const refused = await me(token);
    expectProblem(refused, 401, 'session_revoked');
    // Other sessions of the same user are untouched.
    expect((await me(other.token)).statusCode).toBe(200);
  });

  it('refuses the access tokens of a session revoked for refresh-token reuse', async () => {
    const { token, refresh } = await login();
    const rotated = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: refresh } });
    const fresh = rotated.json().accessToken as string;
    expect((await me(fresh)).statusCode).toBe(200);
    const reused = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: refresh } });
    expect(reused.json().code).toBe('refresh_token_reused');
    expectProblem(await me(token), 401, 'session_revoked');
    expectProblem(await me(fresh), 401, 'session_revoked');
  });
});

describe('codes cannot be walked, and statistics are their owner\'s', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PASSWORD_HASH_MEMORY_KIB: '8192', PASSWORD_HASH_ITERATIONS: '1', RATE_LIMIT_AUTH: 'off' });
  });
  afterAll(() => t.close());
  const inject = (opts: InjectOptions | string): Promise<LightMyRequestResponse> => t.runtime.app.inject(opts);

  it('hands out 7-character codes in no guessable order by default', async () => {
    const codes: string[] = [];
    for (let i = 0; i < 20; i++) codes.push((await inject({ method: 'POST', url: '/api/v1/links', payload: { url: `https://example.com/${i}` } })).json().code);
    for (const code of codes) expect(code).toMatch(/^[0-9A-Za-z]{7}$/);
    // Consecutive creations are not neighbours: no two codes share their first 4 characters.
    expect(new Set(codes.map((c) => c.slice(0, 4))).size).toBe(codes.length);
  });

  it('shows a signed-in owner\'s statistics to the owner only, unless made public', async () => {
    const owner = (await signUp(t, 'dora')).token;
    const other = (await signUp(t, 'eve')).token;
    const { code } = (await inject({ method: 'POST', url: '/api/v1/links', headers: bearer(owner), payload: { url: 'https://example.com/private' } })).json();
    const stats = (token?: string) => inject({ url: `/api/v1/links/${code}/stats`, headers: token === undefined ? {} : bearer(token) });
    expect((await stats(owner)).statusCode).toBe(200);
    expectProblem(await stats(), 401, 'stats_private');
    expectProblem(await stats(other), 403, 'stats_private');
    const made = await inject({ method: 'PATCH', url: `/api/v1/links/${code}`, headers: bearer(owner), payload: { publicStats: true } });
    expect(made.json().publicStats).toBe(true);
    expect((await stats()).statusCode).toBe(200);
    expect((await stats(other)).statusCode).toBe(200);
    const publicFromStart = (await inject({ method: 'POST', url: '/api/v1/links', headers: bearer(owner), payload: { url: 'https://example.com/open', publicStats: true } })).json();
    expect((await inject({ url: `/api/v1/links/${publicFromStart.code}/stats` })).statusCode).toBe(200);
    // A link made signed out has nobody to keep its statistics for.
    const anonymous = (await inject({ method: 'POST', url: '/api/v1/links', payload: { url: 'https://example.com/anon' } })).json();
    expect(anonymous.publicStats).toBe(true);
    expect((await inject({ url: `/api/v1/links/${anonymous.code}/stats` })).statusCode).toBe(200);
    expectProblem(await inject({ url: '/api/v1/links/nothing-here/stats' }), 404, 'link_not_found');
  });
});
