import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from '../../platform/sql/testing/test-databases.js';
import { REFRESH_COOKIE } from './accounts.routes.js';
import { startAccountsFixture, TRUSTED_ORIGIN, type AccountsFixture } from './testing/accounts-fixture.js';

const PASSWORD = 'correct horse battery staple';

describeEachDialect('accounts routes (bare Fastify)', (dialect) => {
  let f: AccountsFixture;
  beforeEach(async () => {
    f = await startAccountsFixture({ sql: await dialect.open() });
  });
  afterEach(() => f.close());

  const signup = (payload: object) => f.app.inject({ method: 'POST', url: '/api/v1/auth/signup', payload });
  const refreshCookieOf = (res: LightMyRequestResponse) => res.cookies.find((c) => c.name === REFRESH_COOKIE);

  it('sets the refresh cookie as __Host-, HttpOnly, Secure, SameSite=Strict, Path=/, no Domain, Max-Age = family lifetime', async () => {
    const res = await signup({ username: 'Alice', email: 'Alice@Example.com', password: PASSWORD });
    expect(res.statusCode).toBe(201);
    const header = String(res.headers['set-cookie']);
    expect(header).toMatch(/^__Host-refresh=[A-Za-z0-9_-]{43}; Max-Age=2592000; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    expect(header).not.toMatch(/Domain/i);
    expect(res.json()).toEqual({
      user: { id: expect.stringMatching(/^[0-9]+$/), username: 'alice', email: 'alice@example.com', createdAt: new Date(f.clock.now()).toISOString() },
      accessToken: expect.any(String),
      expiresIn: 900,
    });
  });

  it('accepts refresh and logout POSTs without any body', async () => {
    const cookie = refreshCookieOf(await signup({ username: 'alice', email: 'alice@example.com', password: PASSWORD }))!;
    const res = await f.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { origin: TRUSTED_ORIGIN }, cookies: { [REFRESH_COOKIE]: cookie.value } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accessToken: expect.any(String), expiresIn: 900 });
    // The Max-Age counts down with the family.
    f.clock.advance(86_400_000);
    const next = refreshCookieOf(res)!;
    const again = await f.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { origin: TRUSTED_ORIGIN }, cookies: { [REFRESH_COOKIE]: next.value } });
    expect(refreshCookieOf(again)?.maxAge).toBe(29 * 86_400);
    const missing = await f.app.inject({ method: 'POST', url: '/api/v1/auth/refresh' });
    expect(missing.statusCode).toBe(401);
    expect(missing.json().code).toBe('refresh_token_missing');
    const out = await f.app.inject({ method: 'POST', url: '/api/v1/auth/logout' });
    expect(out.statusCode).toBe(204);
  });

  it('clears the cookie when a cookie refresh is refused', async () => {
    const res = await f.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { origin: TRUSTED_ORIGIN }, cookies: { [REFRESH_COOKIE]: 'unknown' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid_refresh_token');
    expect(refreshCookieOf(res)).toMatchObject({ value: '', path: '/' });
  });

  it('answers API clients in the body and sets no cookie for them', async () => {
    const cookie = refreshCookieOf(await signup({ username: 'alice', email: 'alice@example.com', password: PASSWORD }))!;
    const res = await f.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: cookie.value } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accessToken: expect.any(String), expiresIn: 900, refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('parses Authorization headers strictly and challenges with WWW-Authenticate', async () => {
    const { accessToken } = (await signup({ username: 'alice', email: 'alice@example.com', password: PASSWORD })).json();
    const me = (authorization: string) => f.app.inject({ url: '/api/v1/me', headers: { authorization } });
    expect((await me(`Bearer ${accessToken}`)).statusCode).toBe(200);
    expect((await me(`bearer ${accessToken}`)).statusCode).toBe(200);
    for (const bad of [`Basic ${accessToken}`, `Bearer`, `Bearer ${accessToken} extra`, `${accessToken}`, 'Bearer a,b']) {
      const res = await me(bad);
      expect(res.statusCode, bad).toBe(401);
      expect(res.headers['www-authenticate'], bad).toMatch(/^Bearer error="invalid_token"/);
    }
    const anonymous = await f.app.inject({ url: '/api/v1/me' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().code).toBe('authentication_required');
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
  });

  it('lets only a session (not an API key) manage API keys', async () => {
    const { accessToken } = (await signup({ username: 'alice', email: 'alice@example.com', password: PASSWORD })).json();
    const created = await f.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: { authorization: `Bearer ${accessToken}` }, payload: { name: 'ci' } });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const { key } = created.json();
    const viaKey = { authorization: `Bearer ${key}` };
    expect((await f.app.inject({ url: '/api/v1/me', headers: viaKey })).json().username).toBe('alice');
    const mint = await f.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: viaKey, payload: { name: 'persistence' } });
    expect(mint.statusCode).toBe(403);
    expect(mint.json().code).toBe('session_required');
  });

  it('serves the JWKS with public keys only and a 5-minute public cache', async () => {
    const res = await f.app.inject({ url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.json().keys).toEqual([expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' })]);
    expect(res.body).not.toContain('"d"');
  });

  it('exposes the audit trail through listAuditEvents', async () => {
    await signup({ username: 'alice', email: 'alice@example.com', password: PASSWORD });
    await f.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: 'alice', password: 'wrong password!' }, headers: { 'user-agent': 'curl/8' } });
    const events = await f.accounts.listAuditEvents({ limit: 10 });
    expect(events.map((e) => e.kind)).toEqual(['login_failed', 'signup']);
    expect(events[0]).toMatchObject({ userAgent: 'curl/8', ip: '127.0.0.1', details: { login: 'alice', reason: 'wrong_password' } });
  });
});
