import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/platform/clock/index.js';
import { startTestApp, tempDataDir, type TestApp } from './helpers/test-app.js';

/** Cheap argon2 where timing does not matter; no rate limit on login/signup (one address here). */
const FAST_AUTH = { PASSWORD_HASH_MEMORY_KIB: '8192', PASSWORD_HASH_ITERATIONS: '1', RATE_LIMIT_AUTH: 'off' };
const ORIGIN = 'http://sho.rt';
const COOKIE = '__Host-refresh';
const PASSWORD = 'correct horse battery staple';

type Res = LightMyRequestResponse;
const cookieOf = (res: Res) => res.cookies.find((c) => c.name === COOKIE);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Every row of a table, through the runtime's own database handle. */
async function rowsOf(t: TestApp, table: string): Promise<Record<string, unknown>[]> {
  return (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(t.runtime.container.sql.db)).rows;
}

describe('auth over HTTP: happy paths', () => {
  let t: TestApp;
  const clock = new ManualClock(Date.UTC(2026, 6, 1, 9));
  beforeEach(async () => {
    clock.set(Date.UTC(2026, 6, 1, 9));
    t = await startTestApp(FAST_AUTH, { clock });
  });
  afterEach(() => t.close());
  const inject = (opts: InjectOptions) => t.runtime.app.inject(opts);
  const signup = (payload: object) => inject({ method: 'POST', url: '/api/v1/auth/signup', payload });
  const login = (loginName: string, password = PASSWORD) => inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: loginName, password } });
  const refreshWithCookie = (token: string, headers: Record<string, string> = { origin: ORIGIN }) =>
    inject({ method: 'POST', url: '/api/v1/auth/refresh', headers, cookies: { [COOKIE]: token } });

  it('signup, me, login by username and email, refresh by cookie and body, logout, then refresh refused', async () => {
    const created = await signup({ username: 'Alice_1', email: ' Alice@Example.COM ', password: PASSWORD });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toEqual({
      user: { id: expect.stringMatching(/^[0-9]+$/), username: 'alice_1', email: 'alice@example.com', createdAt: new Date(clock.now()).toISOString() },
      accessToken: expect.any(String),
      expiresIn: t.config.ACCESS_TOKEN_TTL_SECONDS,
    });
    expect(cookieOf(created)).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/', maxAge: t.config.REFRESH_TOKEN_TTL_DAYS * 86_400 });
    expect(cookieOf(created)?.domain).toBeUndefined();

    const me = await inject({ url: '/api/v1/me', headers: bearer(body.accessToken) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual(body.user);

    for (const name of ['alice_1', 'ALICE_1', 'alice@example.com', 'Alice@Example.com']) {
      const res = await login(name);
      expect(res.statusCode, name).toBe(200);
      expect(res.json().user).toEqual(body.user);
      expect(cookieOf(res)?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }

    // Browser: the cookie from the trusted origin; the rotated token comes back as a cookie only.
    const session = await login('alice_1');
    const viaCookie = await refreshWithCookie(cookieOf(session)!.value);
    expect(viaCookie.statusCode).toBe(200);
    expect(viaCookie.json()).toEqual({ accessToken: expect.any(String), expiresIn: t.config.ACCESS_TOKEN_TTL_SECONDS });
    const rotated = cookieOf(viaCookie)!.value;
    expect(rotated).not.toBe(cookieOf(session)!.value);
    expect((await inject({ url: '/api/v1/me', headers: bearer(viaCookie.json().accessToken) })).json().username).toBe('alice_1');

    // API client: token in the body, rotated token in the body.
    const viaBody = await inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: rotated } });
    expect(viaBody.statusCode).toBe(200);
    const next = viaBody.json().refreshToken;
    expect(next).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(next).not.toBe(rotated);

    const out = await inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { origin: ORIGIN }, cookies: { [COOKIE]: next } });
    expect(out.statusCode).toBe(204);
    expect(cookieOf(out)).toMatchObject({ value: '' });
    const after = await inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: next } });
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('invalid_refresh_token');

    // Logging out with the access token ends the session it came from.
    const other = await login('alice_1');
    const bearerOut = await inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(other.json().accessToken) });
    expect(bearerOut.statusCode).toBe(204);
    expect((await refreshWithCookie(cookieOf(other)!.value)).statusCode).toBe(401);
  });

  it('answers unknown users and wrong passwords with the same 401', async () => {
    await signup({ username: 'alice', email: 'alice@example.com', password: PASSWORD });
    const answers = await Promise.all([login('alice', 'wrong password here'), login('nobody'), login('nobody@example.com'), login('alice', ''), login('', PASSWORD)]);
    for (const res of answers) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    const bodies = new Set(answers.map((r) => r.body));
    expect(bodies.size).toBe(1);
    expect(answers[0]!.json()).toMatchObject({ code: 'invalid_credentials', status: 401 });
    expect(answers[0]!.headers['www-authenticate']).toBe('Bearer');
  });

  it('lists every invalid signup field, refuses common passwords and taken names case-insensitively', async () => {
    const bad = await signup({ username: 'x', email: 'not-an-email', password: 'short' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'validation_failed', status: 400 });
    expect(bad.json().errors.map((e: { field: string; code: string }) => [e.field, e.code])).toEqual([
      ['body/username', 'username_invalid'],
      ['body/email', 'email_invalid'],
      ['body/password', 'password_too_short'],
    ]);
    const missing = await signup({});
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['body/username', 'body/email', 'body/password']));

    const common = await signup({ username: 'bob', email: 'bob@example.com', password: 'Password1' });
    expect(common.statusCode).toBe(400);
    expect(common.json().code).toBe('password_too_common');
    expect((await signup({ username: 'bob', email: 'bob@example.com', password: 'bob@example.com' })).json().code).toBe('password_equals_email');
    expect((await signup({ username: 'bobbybobby', email: 'bob@example.com', password: 'BobbyBobby' })).json().code).toBe('password_equals_username');
    expect((await signup({ username: 'bob', email: 'bob@example.com', password: 'é'.repeat(513) })).json().code).toBe('password_too_long');

    expect((await signup({ username: 'bob', email: 'bob@example.com', password: PASSWORD })).statusCode).toBe(201);
    const sameName = await signup({ username: 'BOB', email: 'other@example.com', password: PASSWORD });
    expect(sameName.statusCode).toBe(409);
    expect(sameName.json().code).toBe('username_taken');
    const sameEmail = await signup({ username: 'bob2', email: 'BOB@example.com', password: PASSWORD });
    expect(sameEmail.statusCode).toBe(409);
    expect(sameEmail.json().code).toBe('email_taken');
    const both = await signup({ username: 'Bob', email: 'Bob@Example.com', password: PASSWORD });
    expect(both.json().errors.map((e: { code: string }) => e.code)).toEqual(['username_taken', 'email_taken']);
  });

  it('creates, lists, uses and revokes API keys', async () => {
    const alice = (await signup({ username: 'alice', email: 'alice@example.com', password: PASSWORD })).json();
    const bob = (await signup({ username: 'bob', email: 'bob@example.com', password: PASSWORD })).json();
    const created = await inject({ method: 'POST', url: '/api/v1/api-keys', headers: bearer(alice.accessToken), payload: { name: 'deploy' } });
    expect(created.statusCode).toBe(201);
    const key = created.json();
    expect(key).toEqual({ id: expect.stringMatching(/^[0-9]+$/), name: 'deploy', key: expect.stringMatching(/^bp_[A-Za-z0-9_-]{43}$/), createdAt: new Date(clock.now()).toISOString() });

    const listed = await inject({ url: '/api/v1/api-keys', headers: bearer(alice.accessToken) });
    expect(listed.json()).toEqual({ items: [{ id: key.id, name: 'deploy', prefix: key.key.slice(0, 11), createdAt: key.createdAt, lastUsedAt: null, revokedAt: null }] });
    expect(listed.body).not.toContain(key.key);

    clock.advance(1000);
    const used = await inject({ url: '/api/v1/me', headers: bearer(key.key) });
    expect(used.statusCode).toBe(200);
    expect(used.json().username).toBe('alice');
    const usedAt = new Date(clock.now()).toISOString();
    clock.advance(30_000);
    await inject({ url: '/api/v1/me', headers: bearer(key.key) });
    // At most one write a minute: still the first use.
    expect((await inject({ url: '/api/v1/api-keys', headers: bearer(alice.accessToken) })).json().items[0].lastUsedAt).toBe(usedAt);

    expect((await inject({ url: '/api/v1/api-keys', headers: bearer(bob.accessToken) })).json()).toEqual({ items: [] });
    const stolen = await inject({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, headers: bearer(bob.accessToken) });
    const missing = await inject({ method: 'DELETE', url: '/api/v1/api-keys/12345', headers: bearer(bob.accessToken) });
    expect(stolen.statusCode).toBe(404);
    expect(stolen.json().code).toBe(missing.json().code);
    expect((await inject({ url: '/api/v1/me', headers: bearer(key.key) })).statusCode).toBe(200);

    const revoked = await inject({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, headers: bearer(alice.accessToken) });
    expect(revoked.statusCode).toBe(204);
    const refused = await inject({ url: '/api/v1/me', headers: bearer(key.key) });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().code).toBe('invalid_api_key');
    expect((await inject({ url: '/api/v1/api-keys', headers: bearer(alice.accessToken) })).json().items[0].revokedAt).toBe(new Date(clock.now()).toISOString());
    expect((await inject({ url: '/api/v1/api-keys' })).statusCode).toBe(401);
  });

  it('writes an audit trail free of passwords, tokens and keys', async () => {
    const secrets: string[] = [PASSWORD, 'wrong password here'];
    const created = await signup({ username: 'alice', email: 'alice@example.com', password: PASSWORD });
    secrets.push(created.json().accessToken, cookieOf(created)!.value);
    await login('alice', 'wrong password here');
    await login('ghost');
    const session = await login('alice@example.com');
    secrets.push(session.json().accessToken, cookieOf(session)!.value);
    const refreshed = await refreshWithCookie(cookieOf(session)!.value);
    secrets.push(refreshed.json().accessToken, cookieOf(refreshed)!.value);
    await refreshWithCookie(cookieOf(session)!.value); // reuse: that session's access tokens end with it
    const key = (await inject({ method: 'POST', url: '/api/v1/api-keys', headers: bearer(created.json().accessToken), payload: { name: 'ci' } })).json();
    secrets.push(key.key);
    await inject({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, headers: bearer(created.json().accessToken) });
    const other = await login('alice');
    secrets.push(cookieOf(other)!.value);
    await inject({ method: 'POST', url: '/api/v1/auth/logout', payload: { refreshToken: cookieOf(other)!.value } });

    const rows = await rowsOf(t, 'audit_events');
    expect(rows.map((r) => r.kind)).toEqual(
      expect.arrayContaining(['signup', 'login_failed', 'login_succeeded', 'refresh_token_reuse', 'api_key_created', 'api_key_revoked', 'logout']),
    );
    const failed = rows.filter((r) => r.kind === 'login_failed').map((r) => JSON.parse(String(r.details)));
    expect(failed).toEqual(expect.arrayContaining([{ login: 'alice', reason: 'wrong_password' }, { login: 'ghost', reason: 'unknown_login' }]));
    const dump = JSON.stringify(rows);
    for (const secret of secrets) {
      expect(dump).not.toContain(secret);
      // Not even a recognisable half of one.
      expect(dump).not.toContain(secret.slice(0, Math.ceil(secret.length / 2)));
    }
    // Nor does any other table keep a secret in the clear.
    const everything = JSON.stringify(await Promise.all(['users', 'refresh_tokens', 'refresh_families', 'api_keys'].map((table) => rowsOf(t, table))));
    for (const secret of secrets) expect(everything).not.toContain(secret);

    const api = await t.runtime.container.accounts!.listAuditEvents({ limit: 100 });
    expect(api.length).toBe(rows.length);
    expect(api[0]!.kind).toBe('logout');
  });
});

describe('auth over HTTP: password hashes follow the configured parameters', () => {
  it('upgrades a hash at the next successful login when the parameters change', async () => {
    const dataDir = tempDataDir();
    const first = await startTestApp({ ...FAST_AUTH }, { dataDir });
    const signup = await first.runtime.app.inject({ method: 'POST', url: '/api/v1/auth/signup', payload: { username: 'alice', email: 'alice@example.com', password: PASSWORD } });
    expect(signup.statusCode).toBe(201);
    expect(String((await rowsOf(first, 'users'))[0]!.password_hash)).toMatch(/^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
    await first.close({ keepData: true });

    const second = await startTestApp({ ...FAST_AUTH, PASSWORD_HASH_MEMORY_KIB: '9216', PASSWORD_HASH_ITERATIONS: '2' }, { dataDir });
    try {
      const login = (password: string) => second.runtime.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: 'alice', password } });
      // A failed login proves nothing about the password: no upgrade.
      expect((await login('wrong password here')).statusCode).toBe(401);
      expect(String((await rowsOf(second, 'users'))[0]!.password_hash)).toMatch(/m=8192,t=1,p=1\$/);
      expect((await login(PASSWORD)).statusCode).toBe(200);
      const upgraded = String((await rowsOf(second, 'users'))[0]!.password_hash);
      expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=9216,t=2,p=1\$/);
      expect((await login(PASSWORD)).statusCode).toBe(200);
      expect(String((await rowsOf(second, 'users'))[0]!.password_hash)).toBe(upgraded);
      const rehashed = (await rowsOf(second, 'audit_events')).filter((r) => r.kind === 'password_rehashed');
      expect(rehashed).toHaveLength(1);
      expect(JSON.parse(String(rehashed[0]!.details))).toEqual({ from: 'm=8192,t=1,p=1', to: 'm=9216,t=2,p=1' });
    } finally {
      await second.close();
    }
  });
});
