import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';
import { PASSWORD, REDIRECT, authorizeCode, authorizeUrl, authorizeQuery, pkce, registerApp, submitConsent, tokenRequest, type RegisteredApp } from './helpers/oauth.js';

type Tokens = { access_token: string; refresh_token?: string; scope: string; token_type: string; created_at: number; expires_in?: number };

describe('OAuth 2.0 authorization server', () => {
  let t: TestApp;
  let alice: { token: string; userId: string };
  const login = { login: 'alice', password: PASSWORD };

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_AUTH: 'off' });
    alice = await signUp(t, 'alice');
    await signUp(t, 'bob');
  });
  afterAll(() => t?.close());

  /** A code through the page and its exchange, with PKCE. */
  async function authorized(app: RegisteredApp, scope = 'read write'): Promise<Tokens> {
    const { verifier, challenge } = pkce();
    const { code } = await authorizeCode(t, app, login, { challenge, scope });
    const res = await tokenRequest(t, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: app.client_id, client_secret: app.client_secret });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Tokens;
  }
  const me = (token: string) => t.runtime.app.inject({ url: '/api/v1/me', headers: bearer(token) });

  it('registers apps with Mastodon’s shape, keeps only the secret’s hash, and refuses unsafe redirect URIs and unknown scopes', async () => {
    const app = await registerApp(t, { website: 'https://app.example' });
    expect(app).toMatchObject({ name: 'Test App', website: 'https://app.example', redirect_uri: REDIRECT, scopes: ['read', 'write', 'follow'], vapid_key: '' });
    expect(app.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = (await t.runtime.container.sql.db.selectFrom('oauth_clients' as never).selectAll().execute()) as unknown as Record<string, unknown>[];
    expect(JSON.stringify(row)).not.toContain(app.client_secret);
    for (const redirect_uris of ['http://evil.example/cb', 'https://app.example/cb#frag', 'javascript:alert(1)', 'not a uri']) {
      const res = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/apps', payload: { client_name: 'x', redirect_uris } });
      expect(res.statusCode, redirect_uris).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_request' });
    }
    const scope = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/apps', payload: { client_name: 'x', redirect_uris: REDIRECT, scopes: 'read admin:write' } });
    expect(scope.json()).toMatchObject({ error: 'invalid_scope' });
    // Loopback http, native app schemes and the out-of-band URN are fine (RFC 8252); forms too.
    const form = await t.runtime.app.inject({
      method: 'POST',
      url: '/api/v1/apps',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'client_name=Native&redirect_uris=http%3A%2F%2F127.0.0.1%3A4000%2Fcb%0Acom.example.app%3A%2Fcb%0Aurn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob',
    });
    expect(form.statusCode, form.body).toBe(200);
    expect(form.json().redirect_uris).toEqual(['http://127.0.0.1:4000/cb', 'com.example.app:/cb', 'urn:ietf:wg:oauth:2.0:oob']);
  });

  it('publishes its metadata (RFC 8414)', async () => {
    const res = await t.runtime.app.inject({ url: '/.well-known/oauth-authorization-server' });
    expect(res.json()).toMatchObject({
      issuer: 'http://sho.rt',
      authorization_endpoint: 'http://sho.rt/oauth/authorize',
      token_endpoint: 'http://sho.rt/oauth/token',
      revocation_endpoint: 'http://sho.rt/oauth/revoke',
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    });
    expect(res.json().scopes_supported).toEqual(expect.arrayContaining(['read', 'write', 'follow', 'push', 'read:statuses', 'write:favourites']));
  });

  it('runs the code flow with PKCE: a page naming the app and scopes, the state passed through, tokens that work as Bearer', async () => {
    const app = await registerApp(t, { client_name: 'Tooter <b>' });
    const { challenge, verifier } = pkce();
    const page = await t.runtime.app.inject({ url: authorizeUrl(authorizeQuery(app, { challenge })) });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('Tooter &lt;b&gt;');
    expect(page.body).toContain('data-scope="write"');
    expect(page.body).toContain('name="password"');
    expect(page.headers['content-security-policy']).toContain("form-action 'self' https://app.example");
    const { code, state } = await authorizeCode(t, app, login, { challenge, state: 's t&ate' });
    expect(state).toBe('s t&ate');
    const res = await tokenRequest(t, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: app.client_id, client_secret: app.client_secret });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const tokens = res.json() as Tokens;
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'read write' });
    expect(tokens.access_token).toMatch(/^bpo_/);
    expect(tokens.refresh_token).toMatch(/^bpr_/);
    expect((await me(tokens.access_token)).json()).toMatchObject({ username: 'alice' });
    const posted = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/tweets', headers: bearer(tokens.access_token), payload: { text: 'from an app' } });
    expect(posted.statusCode, posted.body).toBe(201);
    // Account management stays first-party.
    const keys = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: bearer(tokens.access_token), payload: { name: 'k' } });
    expect(keys.statusCode).toBe(403);
    const apps = await t.runtime.app.inject({ url: '/api/v1/oauth/authorizations', headers: bearer(tokens.access_token) });
    expect(apps.statusCode).toBe(403);
  });

  it('requires PKCE with S256, refuses plain, and sends request errors back to the app with the state', async () => {
    const app = await registerApp(t);
    for (const [query, description] of [
      [authorizeQuery(app), /PKCE is required/],
      [authorizeQuery(app, { challenge: 'a'.repeat(43), method: 'plain' }), /plain is not supported/],
      [authorizeQuery(app, { challenge: 'short' }), /43 base64url/],
    ] as const) {
      const res = await t.runtime.app.inject({ url: authorizeUrl(query) });
      expect(res.statusCode).toBe(302);
      const location = new URL(res.headers.location as string);
      expect(location.origin + location.pathname).toBe(REDIRECT);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('error_description')).toMatch(description);
      expect(location.searchParams.get('state')).toBe('xyz');
    }
    const type = await t.runtime.app.inject({ url: authorizeUrl({ ...authorizeQuery(app, { challenge: pkce().challenge }), response_type: 'token' }) });
    expect(new URL(type.headers.location as string).searchParams.get('error')).toBe('unsupported_response_type');
  });

  it('never redirects to a URI it cannot trust: an unknown client or a redirect URI not registered exactly gets a page', async () => {
    const app = await registerApp(t);
    const { challenge } = pkce();
    for (const redirectUri of ['https://app.example/callback/', 'https://app.example/callback?x=1', 'https://evil.example/callback', 'HTTPS://app.example/callback']) {
      const res = await t.runtime.app.inject({ url: authorizeUrl(authorizeQuery(app, { challenge, redirectUri })) });
      expect(res.statusCode, redirectUri).toBe(400);
      expect(res.headers.location).toBeUndefined();
      expect(res.body).toContain('does not match');
    }
    const unknown = await t.runtime.app.inject({ url: authorizeUrl({ ...authorizeQuery(app, { challenge }), client_id: 'nope' }) });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.headers.location).toBeUndefined();
  });

  it('refuses a code whose verifier does not match (PKCE), whose redirect URI differs, or that another client presents', async () => {
    const app = await registerApp(t);
    const other = await registerApp(t);
    const { challenge, verifier } = pkce();
    const { code } = await authorizeCode(t, app, login, { challenge });
    const base = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: app.client_id, client_secret: app.client_secret };
    for (const fields of [
      { ...base, code_verifier: pkce().verifier },
      { ...base },
      { ...base, code_verifier: verifier, redirect_uri: 'https://app.example/other' },
      { ...base, code_verifier: verifier, client_id: other.client_id, client_secret: other.client_secret },
    ]) {
      const res = await tokenRequest(t, fields);
      expect(res.statusCode, JSON.stringify(fields)).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_grant', status: 400 });
    }
    // None of those spent it: the rightful exchange still works.
    expect((await tokenRequest(t, { ...base, code_verifier: verifier })).statusCode).toBe(200);
  });

  it('answers a replayed code with invalid_grant and revokes what the first exchange issued', async () => {
    const app = await registerApp(t);
    const { challenge, verifier } = pkce();
    const { code } = await authorizeCode(t, app, login, { challenge });
    const fields = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: app.client_id, client_secret: app.client_secret };
    const first = (await tokenRequest(t, fields)).json() as Tokens;
    expect((await me(first.access_token)).statusCode).toBe(200);
    const replay = await tokenRequest(t, fields);
    expect(replay.statusCode).toBe(400);
    expect(replay.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await me(first.access_token)).statusCode).toBe(401);
    const refresh = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: app.client_id, client_secret: app.client_secret });
    expect(refresh.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('holds scopes: no escalation at authorization or refresh, and every route checks the token’s scopes', async () => {
    const readOnly = await registerApp(t, { scopes: 'read' });
    const { challenge } = pkce();
    const escalate = await t.runtime.app.inject({ url: authorizeUrl(authorizeQuery(readOnly, { challenge, scope: 'read write' })) });
    expect(new URL(escalate.headers.location as string).searchParams.get('error')).toBe('invalid_scope');

    const tokens = await authorized(readOnly, 'read');
    const post = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/tweets', headers: bearer(tokens.access_token), payload: { text: 'nope' } });
    expect(post.statusCode).toBe(403);
    expect(post.json()).toMatchObject({ code: 'insufficient_scope' });
    expect(post.headers['www-authenticate']).toContain('insufficient_scope');
    expect((await t.runtime.app.inject({ url: '/api/v1/timeline/home', headers: bearer(tokens.access_token) })).statusCode).toBe(200);
    const wider = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, scope: 'read write', client_id: readOnly.client_id, client_secret: readOnly.client_secret });
    expect(wider.json()).toMatchObject({ error: 'invalid_scope' });

    // Granular: read:statuses reads tweets but not notifications; narrowing at refresh is allowed.
    const app = await registerApp(t);
    const granular = await authorized(app, 'read:statuses write:favourites');
    expect((await t.runtime.app.inject({ url: '/api/v1/timeline/home', headers: bearer(granular.access_token) })).statusCode).toBe(200);
    expect((await t.runtime.app.inject({ url: '/api/v1/notifications', headers: bearer(granular.access_token) })).statusCode).toBe(403);
    const narrower = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: granular.refresh_token, scope: 'read:statuses', client_id: app.client_id, client_secret: app.client_secret });
    expect(narrower.json()).toMatchObject({ scope: 'read:statuses' });
  });

  it('rotates refresh tokens, ends the old access token, and revokes the authorization when a spent one comes back', async () => {
    const app = await registerApp(t);
    const first = await authorized(app);
    const client = { client_id: app.client_id, client_secret: app.client_secret };
    const second = (await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: first.refresh_token, ...client })).json() as Tokens;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await me(first.access_token)).statusCode).toBe(401);
    expect((await me(second.access_token)).statusCode).toBe(200);
    const reuse = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: first.refresh_token, ...client });
    expect(reuse.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await me(second.access_token)).statusCode).toBe(401);
    expect((await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: second.refresh_token, ...client })).json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses one client’s refresh token to another, without spending it', async () => {
    const app = await registerApp(t);
    const thief = await registerApp(t);
    const tokens = await authorized(app);
    const stolen = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: thief.client_id, client_secret: thief.client_secret });
    expect(stolen.statusCode).toBe(400);
    expect(stolen.json()).toMatchObject({ error: 'invalid_grant' });
    const own = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: app.client_id, client_secret: app.client_secret });
    expect(own.statusCode).toBe(200);
  });

  it('authenticates clients by secret, in the body or HTTP Basic, never both', async () => {
    const app = await registerApp(t);
    const wrong = await tokenRequest(t, { grant_type: 'client_credentials', client_id: app.client_id, client_secret: 'x'.repeat(43) });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: 'invalid_client' });
    const basic = `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`;
    const ok = await tokenRequest(t, { grant_type: 'client_credentials', scope: 'read' }, { authorization: basic });
    expect(ok.statusCode, ok.body).toBe(200);
    const badBasic = await tokenRequest(t, { grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from(`${app.client_id}:nope`).toString('base64')}` });
    expect(badBasic.statusCode).toBe(401);
    expect(badBasic.headers['www-authenticate']).toContain('Basic');
    const both = await tokenRequest(t, { grant_type: 'client_credentials', client_secret: app.client_secret }, { authorization: basic });
    expect(both.json()).toMatchObject({ error: 'invalid_request' });
    expect((await tokenRequest(t, { grant_type: 'implicit', client_id: app.client_id, client_secret: app.client_secret })).json()).toMatchObject({ error: 'unsupported_grant_type' });
    expect((await tokenRequest(t, { grant_type: 'password', username: 'alice', password: PASSWORD, client_id: app.client_id, client_secret: app.client_secret })).json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('gives client_credentials tokens no user: the app verifies itself, user routes stay closed', async () => {
    const app = await registerApp(t);
    const tokens = (await tokenRequest(t, { grant_type: 'client_credentials', scope: 'read', client_id: app.client_id, client_secret: app.client_secret })).json() as Tokens;
    expect(tokens.refresh_token).toBeUndefined();
    const verify = await t.runtime.app.inject({ url: '/api/v1/apps/verify_credentials', headers: bearer(tokens.access_token) });
    expect(verify.json()).toMatchObject({ name: 'Test App' });
    expect(verify.json().client_secret).toBeUndefined();
    expect((await me(tokens.access_token)).statusCode).toBe(401);
    const escalate = await tokenRequest(t, { grant_type: 'client_credentials', scope: 'push', client_id: app.client_id, client_secret: app.client_secret });
    expect(escalate.json()).toMatchObject({ error: 'invalid_scope' });
  });

  it('revokes tokens (RFC 7009): the whole authorization ends; another client cannot; unknown tokens are no error', async () => {
    const app = await registerApp(t);
    const other = await registerApp(t);
    const tokens = await authorized(app);
    const revoke = (fields: Record<string, string | undefined>) =>
      t.runtime.app.inject({ method: 'POST', url: '/oauth/revoke', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields as Record<string, string>).toString() });
    expect((await revoke({ token: tokens.access_token, client_id: other.client_id, client_secret: other.client_secret })).statusCode).toBe(403);
    expect((await me(tokens.access_token)).statusCode).toBe(200);
    expect((await revoke({ token: 'bpo_unknown', client_id: app.client_id, client_secret: app.client_secret })).statusCode).toBe(200);
    expect((await revoke({ token: tokens.access_token, client_id: app.client_id, client_secret: app.client_secret })).statusCode).toBe(200);
    expect((await me(tokens.access_token)).statusCode).toBe(401);
    expect((await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: app.client_id, client_secret: app.client_secret })).json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('lets users list and revoke the apps they authorized, with their own session', async () => {
    const app = await registerApp(t, { client_name: 'Listed App' });
    const tokens = await authorized(app);
    const list = await t.runtime.app.inject({ url: '/api/v1/oauth/authorizations', headers: bearer(alice.token) });
    const entry = (list.json() as { id: string; name: string; scopes: string[] }[]).find((a) => a.name === 'Listed App')!;
    expect(entry.scopes).toEqual(['read', 'write']);
    const bob = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: 'bob', password: PASSWORD } });
    expect((await t.runtime.app.inject({ method: 'DELETE', url: `/api/v1/oauth/authorizations/${entry.id}`, headers: bearer(bob.json().accessToken) })).statusCode).toBe(404);
    expect((await t.runtime.app.inject({ method: 'DELETE', url: `/api/v1/oauth/authorizations/${entry.id}`, headers: bearer(alice.token) })).statusCode).toBe(204);
    expect((await me(tokens.access_token)).statusCode).toBe(401);
    const after = await t.runtime.app.inject({ url: '/api/v1/oauth/authorizations', headers: bearer(alice.token) });
    expect((after.json() as { id: string }[]).some((a) => a.id === entry.id)).toBe(false);
  });

  it('sends a denial back as access_denied, refuses a forged form (CSRF) and a wrong password, and remembers the sign-in', async () => {
    const app = await registerApp(t);
    const { challenge } = pkce();
    const query = authorizeQuery(app, { challenge });
    const denied = await submitConsent(t, query, login, 'deny');
    expect(denied.statusCode).toBe(303);
    expect(new URL(denied.headers.location as string).searchParams.get('error')).toBe('access_denied');
    expect(new URL(denied.headers.location as string).searchParams.get('state')).toBe('xyz');

    const forged = await t.runtime.app.inject({
      method: 'POST',
      url: '/oauth/authorize',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ ...(query as Record<string, string>), csrf: 'a'.repeat(43), decision: 'approve', ...login }).toString(),
    });
    expect(forged.statusCode).toBe(403);
    expect(forged.headers.location).toBeUndefined();

    const wrong = await submitConsent(t, query, { login: 'alice', password: 'wrong password!' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('wrong');
    expect(wrong.headers.location).toBeUndefined();

    const signedIn = await submitConsent(t, query, login);
    const session = signedIn.cookies.find((c) => c.name === 'bp_oauth_session')!;
    expect(session).toMatchObject({ httpOnly: true, path: '/oauth', sameSite: 'Lax' });
    const again = await submitConsent(t, query, null, 'approve', { bp_oauth_session: session.value });
    expect(again.statusCode).toBe(303);
    expect(new URL(again.headers.location as string).searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const page = await t.runtime.app.inject({ url: authorizeUrl(query), cookies: { bp_oauth_session: session.value } });
    expect(page.body).toContain('Signed in as <strong>@alice</strong>');
  });

  it('shows the code on the page for the out-of-band redirect URI', async () => {
    const oob = 'urn:ietf:wg:oauth:2.0:oob';
    const app = await registerApp(t, { redirect_uris: oob });
    const { challenge, verifier } = pkce();
    const res = await submitConsent(t, authorizeQuery(app, { challenge, redirectUri: oob }), login);
    expect(res.statusCode).toBe(200);
    const code = /id="code">([A-Za-z0-9_-]{43})</.exec(res.body)?.[1];
    expect(code).toBeDefined();
    const tokens = await tokenRequest(t, { grant_type: 'authorization_code', code, redirect_uri: oob, code_verifier: verifier, client_id: app.client_id, client_secret: app.client_secret });
    expect(tokens.statusCode).toBe(200);
  });

  it('answers bad input with 4xx, never 5xx', async () => {
    const app = await registerApp(t);
    const cases = [
      t.runtime.app.inject({ method: 'POST', url: '/oauth/token', payload: 'grant_type=authorization_code&code=x&code=y', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      tokenRequest(t, { client_id: app.client_id, client_secret: app.client_secret }),
      tokenRequest(t, { grant_type: 'authorization_code', client_id: app.client_id, client_secret: app.client_secret }),
      tokenRequest(t, { grant_type: 'authorization_code', code: 'nope', client_id: app.client_id, client_secret: app.client_secret }),
      tokenRequest(t, { grant_type: 'refresh_token', refresh_token: 'x', client_id: app.client_id, client_secret: app.client_secret }),
      t.runtime.app.inject({ url: '/oauth/authorize' }),
      t.runtime.app.inject({ url: '/oauth/authorize?client_id=a&client_id=b' }),
      t.runtime.app.inject({ method: 'POST', url: '/oauth/authorize', payload: {} }),
      t.runtime.app.inject({ method: 'POST', url: '/api/v1/apps', payload: { client_name: '', redirect_uris: REDIRECT } }),
      t.runtime.app.inject({ url: '/api/v1/me', headers: bearer('bpo_' + 'x'.repeat(43)) }),
      tokenRequest(t, { grant_type: 'client_credentials' }, { authorization: 'Basic !!!' }),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, res.body).toBeLessThan(500);
    }
  });
});

describe('OAuth password grant, when configured on', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_AUTH: 'off', OAUTH_PASSWORD_GRANT: 'on', OAUTH_ACCESS_TOKEN_TTL_SECONDS: '600' });
    await signUp(t, 'carol');
  });
  afterAll(() => t?.close());

  it('issues tokens for the right password only, within the app’s scopes, with the configured lifetime', async () => {
    const app = await registerApp(t, { scopes: 'read' });
    const client = { client_id: app.client_id, client_secret: app.client_secret };
    const ok = await tokenRequest(t, { grant_type: 'password', username: 'carol', password: PASSWORD, ...client });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ scope: 'read', expires_in: 600 });
    expect((await tokenRequest(t, { grant_type: 'password', username: 'carol', password: 'wrong password!', ...client })).json()).toMatchObject({ error: 'invalid_grant' });
    expect((await tokenRequest(t, { grant_type: 'password', username: 'carol', password: PASSWORD, scope: 'write', ...client })).json()).toMatchObject({ error: 'invalid_scope' });
  });
});
