import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import megalodon, { type Entity, type WebSocketInterface } from 'megalodon';
import { browserSuites, startWebTest, type WebTest } from './helpers/browser.js';
import { pkce } from './helpers/oauth.js';
import { bearer, signUp } from './helpers/users.js';

/**
 * A real Mastodon client library (megalodon, from npm) against a listening server: it registers an
 * app, the user authorizes it with PKCE on the HTML page in Chromium, then the library posts,
 * follows, favourites, pages the home timeline, receives a status on the streaming API and revokes
 * its token. megalodon sends no code_verifier: the code exchange is done by hand with it (and the
 * library's own exchange is shown refused, PKCE being required).
 */
const PASSWORD = 'correct horse battery staple';
// A CommonJS package with an `exports.default`: the types see the module object, vitest's interop hands the generator itself.
const loaded: unknown = megalodon;
const generator = (typeof loaded === 'function' ? loaded : megalodon.default) as typeof megalodon.default;

describe.runIf(browserSuites)('a Mastodon client library (megalodon) against Blueprint', () => {
  let web: WebTest;
  let bobToken: string;
  beforeAll(async () => {
    web = await startWebTest();
    await signUp(web.app, 'alice', PASSWORD);
    bobToken = (await signUp(web.app, 'bob', PASSWORD)).token;
  }, 120_000);
  afterAll(() => web?.close());

  const bobPosts = async (text: string): Promise<string> => {
    const res = await web.app.runtime.app.inject({ method: 'POST', url: '/api/v1/tweets', headers: bearer(bobToken), payload: { text } });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { id: string }).id;
  };

  it('registers, authorizes with PKCE in the browser, posts, follows, favourites, pages home, streams and revokes', async () => {
    const anonymous = generator('mastodon', web.base);
    const redirect = `${web.base}/oauth-callback`;
    const app = await anonymous.registerApp('Megalodon E2E', { scopes: ['read', 'write', 'follow'], redirect_uris: redirect, website: 'https://example.com' });
    expect(app.client_id).toBeTruthy();

    // The library's authorization URL, with the PKCE challenge it does not add itself.
    const { verifier, challenge } = pkce();
    const authorize = new URL(app.url!);
    authorize.searchParams.set('code_challenge', challenge);
    authorize.searchParams.set('code_challenge_method', 'S256');
    authorize.searchParams.set('state', 'e2e-state');
    const page = await web.newPage();
    await page.goto(authorize.toString());
    expect(await page.locator('#app-name').textContent()).toBe('Megalodon E2E');
    expect(await page.locator('#scopes li').evaluateAll((items) => items.map((i) => i.getAttribute('data-scope')))).toEqual(['read', 'write', 'follow']);
    await page.getByLabel('Username or email').fill('alice');
    await page.getByLabel('Password').fill(PASSWORD);
    const callback = page.waitForURL((url) => url.pathname === '/oauth-callback', { timeout: 15_000 });
    await page.getByRole('button', { name: 'Authorize' }).click();
    await callback;
    const back = new URL(page.url());
    expect(back.searchParams.get('state')).toBe('e2e-state');
    const code = back.searchParams.get('code')!;

    // Without the verifier (the library's own exchange), the code is refused.
    await expect(anonymous.fetchAccessToken(app.client_id, app.client_secret, code, redirect)).rejects.toMatchObject({ response: { status: 400 } });
    const exchange = await fetch(`${web.base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirect, code_verifier: verifier, client_id: app.client_id, client_secret: app.client_secret }),
    });
    expect(exchange.status).toBe(200);
    const { access_token: accessToken } = (await exchange.json()) as { access_token: string };
    const client = generator('mastodon', web.base, accessToken);

    const me = (await client.verifyAccountCredentials()).data;
    expect(me.username).toBe('alice');
    const bob = (await client.lookupAccount('bob')).data;
    const relationship = (await client.followAccount(bob.id)).data;
    expect(relationship.following).toBe(true);

    // Streaming: a status bob posts reaches alice's user stream. As a client does, the timeline is
    // read first (fan-out skips followers who never read theirs).
    expect((await client.getHomeTimeline()).data).toEqual([]);
    const streaming: WebSocketInterface = await client.userStreaming();
    const updates: Entity.Status[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the stream did not connect')), 10_000);
      streaming.on('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    streaming.on('update', (status: Entity.Status) => updates.push(status));
    const liveId = await bobPosts('live to the stream');
    const deadline = Date.now() + 10_000;
    while (!updates.some((s) => s.id === liveId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    streaming.stop();
    expect(updates.find((s) => s.id === liveId)).toMatchObject({ account: { username: 'bob' }, content: '<p>live to the stream</p>' });

    const mine = (await client.postStatus('hello from megalodon #e2e')).data as Entity.Status;
    expect(mine.account.username).toBe('alice');
    expect(mine.content).toContain('hashtag');
    const favourited = (await client.favouriteStatus(liveId)).data;
    expect(favourited).toMatchObject({ favourited: true, favourites_count: 1 });

    const older = [await bobPosts('page 1'), await bobPosts('page 2'), await bobPosts('page 3')];
    const first = (await client.getHomeTimeline({ limit: 2 })).data;
    expect(first.map((s) => s.id)).toEqual([older[2], older[1]]);
    const second = (await client.getHomeTimeline({ limit: 2, max_id: first[1]!.id })).data;
    expect(second.map((s) => s.id)).toEqual([older[0], mine.id]);
    const newer = (await client.getHomeTimeline({ limit: 5, since_id: older[0] })).data;
    expect(newer.map((s) => s.id)).toEqual([older[2], older[1]]);

    await client.revokeToken(app.client_id, app.client_secret, accessToken);
    await expect(client.verifyAccountCredentials()).rejects.toMatchObject({ response: { status: 401 } });
  }, 60_000);
});
