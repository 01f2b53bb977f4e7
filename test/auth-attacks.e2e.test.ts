import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign as edSign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/platform/clock/index.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

const FAST_AUTH = { PASSWORD_HASH_MEMORY_KIB: '8192', PASSWORD_HASH_ITERATIONS: '1', RATE_LIMIT_AUTH: 'off' };
const TRUSTED = 'http://sho.rt';
const COOKIE = '__Host-refresh';
const PASSWORD = 'correct horse battery staple';

type Res = LightMyRequestResponse;
const cookieOf = (res: Res) => res.cookies.find((c) => c.name === COOKIE);
const b64 = (value: object | Buffer) => (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString('base64url');
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

function signEdDsa(header: object, payload: object, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${b64(edSign(null, Buffer.from(input), key))}`;
}

async function rowsOf(t: TestApp, table: string): Promise<Record<string, unknown>[]> {
  return (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(t.runtime.container.sql.db)).rows;
}

describe('attacks on authentication, over HTTP against the real runtime', () => {
  let t: TestApp;
  const clock = new ManualClock(Date.UTC(2026, 8, 1, 12));
  let alice: { id: string; accessToken: string; cookie: string };
  let bobId: string;
  let serverKey: KeyObject;
  let kid: string;

  beforeAll(async () => {
    t = await startTestApp(FAST_AUTH, { clock });
    const a = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/auth/signup', payload: { username: 'alice', email: 'alice@example.com', password: PASSWORD } });
    alice = { id: a.json().user.id, accessToken: a.json().accessToken, cookie: cookieOf(a)!.value };
    const b = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/auth/signup', payload: { username: 'bob', email: 'bob@example.com', password: PASSWORD } });
    bobId = b.json().user.id;
    // The attacks below need tokens signed by the real key with chosen claims: the test reads it
    // from the data directory, as an attacker who stole nothing else could not.
    const file = JSON.parse(readFileSync(join(t.dataDir, 'secrets', 'jwt-keys.json'), 'utf8')) as { keys: { kid: string; privateJwk: object }[] };
    const newest = file.keys.at(-1)!;
    serverKey = createPrivateKey({ key: newest.privateJwk as never, format: 'jwk' });
    kid = newest.kid;
  });
  afterAll(() => t.close());
  beforeEach(() => clock.set(Date.UTC(2026, 8, 1, 12)));

  const inject = (opts: InjectOptions) => t.runtime.app.inject(opts);
  const me = (token: string) => inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
  const claims = (over: Record<string, unknown> = {}) => {
    const issued = decode(alice.accessToken.split('.')[1]!);
    const now = Math.floor(clock.now() / 1000);
    return { iss: issued.iss, aud: issued.aud, sub: alice.id, preferred_username: 'alice', iat: now, nbf: now, exp: now + 600, jti: `j${Math.random()}`, ...over };
  };
  const header = (over: Record<string, unknown> = {}) => ({ alg: 'EdDSA', typ: 'at+jwt', kid, ...over });
  /** The request is refused with 401 and a Bearer invalid_token challenge, and leaks no user. */
  async function expectRefused(token: string, code = 'invalid_token'): Promise<void> {
    const res = await me(token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe(code);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    expect(res.body).not.toContain('alice@example.com');
    expect(res.body).not.toContain('bob@example.com');
  }

  it('accepts a token made by hand with the real key and correct claims (so each refusal below is about its one change)', async () => {
    const res = await me(signEdDsa(header(), claims(), serverKey));
    expect(res.statusCode).toBe(200);
    expect(res.json().username).toBe('alice');
  });

  it('refuses alg: none', async () => {
    await expectRefused(`${b64({ alg: 'none', typ: 'at+jwt', kid })}.${b64(claims())}.`);
    await expectRefused(`${b64({ alg: 'none' })}.${b64(claims())}.`);
    await expectRefused(`${b64({ alg: 'None', typ: 'at+jwt', kid })}.${b64(claims())}.`);
  });

  it('refuses HS256 signed with the server public key (algorithm confusion)', async () => {
    const jwks = (await inject({ url: '/.well-known/jwks.json' })).json();
    const jwk = jwks.keys.find((k: { kid: string }) => k.kid === kid);
    const spkiPem = createPublicKey(serverKey).export({ format: 'pem', type: 'spki' });
    const spkiDer = createPublicKey(serverKey).export({ format: 'der', type: 'spki' });
    // Every form in which the public key could be taken for an HMAC secret.
    for (const secret of [Buffer.from(jwk.x, 'base64url'), jwk.x, JSON.stringify(jwk), spkiPem, spkiDer]) {
      const input = `${b64(header({ alg: 'HS256' }))}.${b64(claims())}`;
      await expectRefused(`${input}.${b64(createHmac('sha256', secret).update(input).digest())}`);
    }
  });

  it('refuses a tampered payload (sub changed to another user, signature kept)', async () => {
    const [h, p, s] = alice.accessToken.split('.') as [string, string, string];
    await expectRefused(`${h}.${b64({ ...decode(p), sub: bobId })}.${s}`);
    await expectRefused(`${h}.${b64({ ...decode(p), preferred_username: 'bob' })}.${s}`);
    // The untouched token still works: the refusal is the tampering's.
    expect((await me(alice.accessToken)).statusCode).toBe(200);
  });

  it('refuses an expired token', async () => {
    const token = signEdDsa(header(), claims(), serverKey);
    clock.advance(600_000 + 6_000);
    await expectRefused(token, 'token_expired');
    await expectRefused(signEdDsa(header(), claims({ exp: Math.floor(clock.now() / 1000) - 60 }), serverKey), 'token_expired');
  });

  it('refuses a token not yet valid (nbf in the future)', async () => {
    await expectRefused(signEdDsa(header(), claims({ nbf: Math.floor(clock.now() / 1000) + 120 }), serverKey));
  });

  it('refuses a wrong issuer', async () => {
    await expectRefused(signEdDsa(header(), claims({ iss: 'https://evil.example' }), serverKey));
  });

  it('refuses a wrong audience', async () => {
    await expectRefused(signEdDsa(header(), claims({ aud: 'some-other-api' }), serverKey));
  });

  it('refuses an unknown kid, and a foreign key presenting our kid', async () => {
    await expectRefused(signEdDsa(header({ kid: 'not-a-key-of-ours' }), claims(), serverKey));
    await expectRefused(signEdDsa(header({ kid: undefined }), claims(), serverKey));
    const foreign = generateKeyPairSync('ed25519').privateKey;
    await expectRefused(signEdDsa(header(), claims(), foreign));
  });

  it('revokes the whole family when a refresh token is used twice, and audits it', async () => {
    const login = await inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: 'alice', password: PASSWORD } });
    const first = cookieOf(login)!.value;
    const refresh = (token: string) => inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: token } });
    const ok = await refresh(first);
    expect(ok.statusCode).toBe(200);
    const second = ok.json().refreshToken as string;

    const replay = await refresh(first);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('refresh_token_reused');
    // The legitimate holder's newest token died with the family.
    const victim = await refresh(second);
    expect(victim.statusCode).toBe(401);
    expect(victim.json().code).toBe('invalid_refresh_token');

    const reuse = (await rowsOf(t, 'audit_events')).filter((r) => r.kind === 'refresh_token_reuse');
    expect(reuse).toHaveLength(1);
    expect(reuse[0]).toMatchObject({ user_id: alice.id });
    expect(JSON.stringify(reuse)).not.toContain(first);
  });

  it('refuses a revoked API key', async () => {
    const created = (await inject({ method: 'POST', url: '/api/v1/api-keys', headers: { authorization: `Bearer ${alice.accessToken}` }, payload: { name: 'to revoke' } })).json();
    expect((await me(created.key)).statusCode).toBe(200);
    expect((await inject({ method: 'DELETE', url: `/api/v1/api-keys/${created.id}`, headers: { authorization: `Bearer ${alice.accessToken}` } })).statusCode).toBe(204);
    await expectRefused(created.key, 'invalid_api_key');
    await expectRefused(`bp_${'A'.repeat(43)}`, 'invalid_api_key');
  });

  it('refuses cookie-authenticated refresh and logout from another origin (CSRF), accepts them from the trusted one', async () => {
    const session = await inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: 'alice', password: PASSWORD } });
    let cookie = cookieOf(session)!.value;
    const post = (url: string, headers: Record<string, string>) => inject({ method: 'POST', url, headers, cookies: { [COOKIE]: cookie } });
    const foreign: Record<string, string>[] = [{ origin: 'https://evil.example' }, { origin: 'null' }, { referer: 'https://evil.example/page' }, {}, { origin: 'http://sho.rt.evil.example' }];
    for (const headers of foreign) {
      for (const url of ['/api/v1/auth/refresh', '/api/v1/auth/logout']) {
        const res = await post(url, headers);
        expect(res.statusCode, `${url} ${JSON.stringify(headers)}`).toBe(403);
        expect(res.json().code).toBe('csrf_origin_refused');
        expect(res.headers['set-cookie']).toBeUndefined();
      }
    }
    // Nothing happened to the session: the trusted origin can still refresh, then log out.
    const refreshed = await post('/api/v1/auth/refresh', { origin: TRUSTED });
    expect(refreshed.statusCode).toBe(200);
    cookie = cookieOf(refreshed)!.value;
    const viaReferer = await post('/api/v1/auth/refresh', { referer: `${TRUSTED}/settings` });
    expect(viaReferer.statusCode).toBe(200);
    cookie = cookieOf(viaReferer)!.value;
    const out = await post('/api/v1/auth/logout', { origin: TRUSTED });
    expect(out.statusCode).toBe(204);
    expect((await post('/api/v1/auth/refresh', { origin: TRUSTED })).statusCode).toBe(401);
  });

  describe('injection strings in every text field', () => {
    const NASTY = ["'); DROP TABLE users;--", '<script>alert(1)</script>', '" OR "1"="1', "' OR '1'='1' --", '${7*7}{{7*7}}', '\u0000nul', '../../etc/passwd', 'a'.repeat(300)];

    async function tablesStillThere(): Promise<void> {
      for (const table of ['users', 'refresh_families', 'refresh_tokens', 'api_keys', 'audit_events']) {
        await expect(rowsOf(t, table)).resolves.toEqual(expect.any(Array));
      }
      expect((await rowsOf(t, 'users')).map((u) => u.username)).toEqual(expect.arrayContaining(['alice', 'bob']));
    }

    it('signup: each field refused with a 4xx problem, never a 5xx', async () => {
      for (const s of NASTY) {
        for (const payload of [
          { username: s, email: 'x1@example.com', password: PASSWORD },
          { username: 'carol', email: s, password: PASSWORD },
          { username: s, email: s, password: s },
        ]) {
          const res = await inject({ method: 'POST', url: '/api/v1/auth/signup', payload });
          expect(res.statusCode, JSON.stringify(payload)).toBeGreaterThanOrEqual(400);
          expect(res.statusCode, JSON.stringify(payload)).toBeLessThan(500);
          expect(res.headers['content-type']).toContain('application/problem+json');
        }
      }
      // A password is any text: an injection string of 8+ characters is a fine (if odd) password, stored only hashed.
      const odd = await inject({ method: 'POST', url: '/api/v1/auth/signup', payload: { username: 'carol', email: "o'neil+'--@example.com", password: "'); DROP TABLE users;--" } });
      expect(odd.statusCode).toBe(201);
      expect(odd.json().user.email).toBe("o'neil+'--@example.com");
      const back = await inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: "O'Neil+'--@example.com", password: "'); DROP TABLE users;--" } });
      expect(back.statusCode).toBe(200);
      await tablesStillThere();
    });

    it('login: every string in login and password is just a failed login', async () => {
      for (const s of NASTY) {
        for (const payload of [{ login: s, password: PASSWORD }, { login: 'alice', password: s }, { login: s, password: s }]) {
          const res = await inject({ method: 'POST', url: '/api/v1/auth/login', payload });
          expect(res.statusCode, JSON.stringify(payload)).toBe(401);
          expect(res.json().code).toBe('invalid_credentials');
        }
      }
      await tablesStillThere();
    });

    it('API key names: stored and returned as inert JSON text', async () => {
      const auth = { authorization: `Bearer ${alice.accessToken}` };
      for (const s of NASTY) {
        const res = await inject({ method: 'POST', url: '/api/v1/api-keys', headers: auth, payload: { name: s } });
        if (s.includes('\u0000') || [...s].length > 100) {
          expect(res.statusCode, s).toBe(400);
          expect(res.json().code).toBe('api_key_name_invalid');
          continue;
        }
        expect(res.statusCode, s).toBe(201);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.json().name).toBe(s);
      }
      const list = await inject({ url: '/api/v1/api-keys', headers: auth });
      expect(list.headers['content-type']).toMatch(/^application\/json/);
      const names = list.json().items.map((k: { name: string }) => k.name);
      expect(names).toEqual(expect.arrayContaining(["'); DROP TABLE users;--", '<script>alert(1)</script>', '" OR "1"="1']));
      // JSON-escaped in the raw body: the quote cannot close the string.
      expect(list.body).toContain('"\\" OR \\"1\\"=\\"1"');
      await tablesStillThere();
    });
  });
});
