import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, waitFor, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';
import { PASSWORD, REDIRECT, authorizeCode, pkce, registerApp, tokenRequest } from './helpers/oauth.js';

type Status = { id: string; content: string; text: string; account: { id: string; username: string; acct: string; statuses_count: number }; favourited: boolean; favourites_count: number; replies_count: number; in_reply_to_id: string | null; in_reply_to_account_id: string | null; mentions: { username: string }[]; tags: { name: string }[]; visibility: string };

describe('Mastodon client API', () => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const native: Record<string, string> = {};

  async function appToken(username: string, scope = 'read write follow'): Promise<string> {
    const app = await registerApp(t, { scopes: 'read write follow push' });
    const { verifier, challenge } = pkce();
    const { code } = await authorizeCode(t, app, { login: username, password: PASSWORD }, { challenge, scope });
    const res = await tokenRequest(t, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: app.client_id, client_secret: app.client_secret });
    return (res.json() as { access_token: string }).access_token;
  }
  const get = (path: string, as?: string) => t.runtime.app.inject({ url: path, headers: as === undefined ? {} : bearer(tokens[as]!) });
  const post = (path: string, as: string, payload?: object, headers: Record<string, string> = {}) =>
    t.runtime.app.inject({ method: 'POST', url: path, headers: { ...bearer(tokens[as]!), ...headers }, ...(payload === undefined ? {} : { payload }) });
  const status = async (as: string, text: string, more: object = {}) => {
    const res = await post('/api/v1/statuses', as, { status: text, ...more });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Status;
  };

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_AUTH: 'off' });
    for (const name of ['alice', 'bob', 'carol']) {
      const user = await signUp(t, name);
      ids[name] = user.userId;
      native[name] = user.token;
      tokens[name] = await appToken(name);
    }
  });
  afterAll(() => t?.close());

  it('describes the instance (v1, v2) and nodeinfo', async () => {
    const v1 = (await get('/api/v1/instance')).json();
    expect(v1).toMatchObject({ uri: 'sho.rt', title: 'Blueprint', urls: { streaming_api: 'ws://sho.rt' }, configuration: { statuses: { max_characters: 280 } } });
    expect(v1.version).toMatch(/^4\.\d+\.\d+ \(compatible; blueprint/);
    expect((await get('/api/v2/instance')).json()).toMatchObject({ domain: 'sho.rt', registrations: { enabled: true } });
    const links = (await get('/.well-known/nodeinfo')).json();
    expect(links.links[0].href).toBe('http://sho.rt/nodeinfo/2.0');
    expect((await get('/nodeinfo/2.0')).json()).toMatchObject({ version: '2.0', software: { name: 'blueprint' } });
  });

  it('answers accounts with string ids and counts: verify_credentials, :id, lookup; 404 for unknown ones', async () => {
    const me = (await get('/api/v1/accounts/verify_credentials', 'alice')).json();
    expect(me).toMatchObject({ id: ids.alice, username: 'alice', acct: 'alice', display_name: 'alice', followers_count: 0, source: { privacy: 'public' }, url: 'http://sho.rt/u/alice' });
    expect(typeof me.id).toBe('string');
    expect((await get(`/api/v1/accounts/${ids.bob}`)).json()).toMatchObject({ username: 'bob' });
    expect((await get('/api/v1/accounts/lookup?acct=@Bob@sho.rt')).json()).toMatchObject({ id: ids.bob });
    for (const path of ['/api/v1/accounts/999999', '/api/v1/accounts/lookup?acct=nobody', '/api/v1/accounts/abc']) {
      const res = await get(path);
      expect(res.statusCode, path).toBe(404);
      expect(res.json().error).toBeTypeOf('string');
    }
    expect((await get('/api/v1/accounts/verify_credentials')).statusCode).toBe(401);
    expect((await t.runtime.app.inject({ url: '/api/v1/avatars/original/missing.png' })).statusCode).toBe(404);
    expect((await t.runtime.app.inject({ url: '/avatars/original/missing.png' })).headers['content-type']).toBe('image/png');
  });

  it('posts statuses as HTML with mentions and tags, once per Idempotency-Key, into the same feed the native API serves', async () => {
    const key = { 'idempotency-key': 'k-1' };
    const first = await post('/api/v1/statuses', 'alice', { status: 'hi @bob <script>x</script> #Blue https://example.com/a?b=1' }, key);
    const again = await post('/api/v1/statuses', 'alice', { status: 'hi @bob <script>x</script> #Blue https://example.com/a?b=1' }, key);
    const s = first.json() as Status;
    expect(again.json().id).toBe(s.id);
    expect(s.content).toContain('&lt;script&gt;');
    expect(s.content).not.toContain('<script>');
    expect(s.content).toContain('<span class="h-card"><a href="http://sho.rt/u/bob" class="u-url mention">@<span>bob</span></a></span>');
    expect(s.content).toContain('class="mention hashtag" rel="tag">#<span>Blue</span></a>');
    expect(s.content).toContain('<a href="https://example.com/a?b=1"');
    expect(s).toMatchObject({ visibility: 'public', mentions: [{ username: 'bob' }], tags: [{ name: 'blue' }], account: { username: 'alice', statuses_count: 1 } });
    const nativeView = await t.runtime.app.inject({ url: `/api/v1/tweets/${s.id}` });
    expect(nativeView.json()).toMatchObject({ id: s.id, author: 'alice' });
    const nativePost = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/tweets', headers: bearer(native.alice!), payload: { text: 'posted natively' } });
    expect((await get(`/api/v1/statuses/${nativePost.json().id}`)).json()).toMatchObject({ text: 'posted natively', content: '<p>posted natively</p>' });
    const other = await post('/api/v1/statuses', 'alice', { status: 'another' }, { 'idempotency-key': 'k-2' });
    expect(other.json().id).not.toBe(s.id);
    // Form bodies, as many apps send them.
    const form = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/statuses', headers: { ...bearer(tokens.alice!), 'content-type': 'application/x-www-form-urlencoded' }, payload: 'status=from+a+form&visibility=public' });
    expect(form.json()).toMatchObject({ text: 'from a form' });
  });

  it('follows, unfollows and answers relationships and follow lists', async () => {
    const follow = await post(`/api/v1/accounts/${ids.bob}/follow`, 'alice');
    expect(follow.json()).toMatchObject({ id: ids.bob, following: true, followed_by: false, blocking: false });
    await post(`/api/v1/accounts/${ids.alice}/follow`, 'bob');
    const rel = (await get(`/api/v1/accounts/relationships?id[]=${ids.bob}&id[]=${ids.carol}`, 'alice')).json();
    expect(rel).toEqual([expect.objectContaining({ id: ids.bob, following: true, followed_by: true }), expect.objectContaining({ id: ids.carol, following: false, followed_by: false })]);
    expect((await get(`/api/v1/accounts/${ids.bob}/followers`)).json()).toEqual([expect.objectContaining({ username: 'alice', following_count: 1 })]);
    expect((await get(`/api/v1/accounts/${ids.alice}/following`)).json()).toEqual([expect.objectContaining({ username: 'bob' })]);
    await post(`/api/v1/accounts/${ids.carol}/follow`, 'alice');
    expect((await post(`/api/v1/accounts/${ids.carol}/unfollow`, 'alice')).json()).toMatchObject({ following: false });
    expect((await post('/api/v1/accounts/123/follow', 'alice')).statusCode).toBe(404);
  });

  it('pages the home timeline with max_id, since_id and min_id, and links the pages', async () => {
    const posted: string[] = [];
    for (let i = 0; i < 5; i++) posted.push((await status('bob', `bob ${i}`)).id);
    const page1 = await get('/api/v1/timelines/home?limit=2', 'alice');
    const first = page1.json() as Status[];
    expect(first.map((s) => s.text)).toEqual(['bob 4', 'bob 3']);
    const link = page1.headers.link as string;
    expect(link).toContain(`<http://sho.rt/api/v1/timelines/home?limit=2&max_id=${posted[3]}>; rel="next"`);
    expect(link).toContain(`min_id=${posted[4]}>; rel="prev"`);
    const next = (await get(`/api/v1/timelines/home?limit=2&max_id=${posted[3]}`, 'alice')).json() as Status[];
    expect(next.map((s) => s.text)).toEqual(['bob 2', 'bob 1']);
    const since = (await get(`/api/v1/timelines/home?limit=2&since_id=${posted[1]}`, 'alice')).json() as Status[];
    expect(since.map((s) => s.text)).toEqual(['bob 4', 'bob 3']);
    const min = (await get(`/api/v1/timelines/home?limit=2&min_id=${posted[1]}`, 'alice')).json() as Status[];
    expect(min.map((s) => s.text)).toEqual(['bob 3', 'bob 2']);
    expect((await get(`/api/v1/timelines/home?since_id=${posted[4]}`, 'alice')).json()).toEqual([]);
    expect((await get('/api/v1/timelines/home?max_id=abc', 'alice')).statusCode).toBe(400);
    // The same feed: the native home timeline has the same statuses.
    const nativeHome = await t.runtime.app.inject({ url: '/api/v1/timeline/home?limit=2', headers: bearer(native.alice!) });
    expect(nativeHome.json().items.map((i: { id: string }) => i.id)).toEqual(first.map((s) => s.id));
    const statuses = (await get(`/api/v1/accounts/${ids.bob}/statuses?limit=3`)).json() as Status[];
    expect(statuses.map((s) => s.text)).toEqual(['bob 4', 'bob 3', 'bob 2']);
    const local = (await get('/api/v1/timelines/public?local=true&limit=3')).json() as Status[];
    expect(local.map((s) => s.text)).toEqual(['bob 4', 'bob 3', 'bob 2']);
    expect((await get('/api/v1/timelines/public?remote=true')).json()).toEqual([]);
  });

  it('favourites and unfavourites, lists who favourited, and builds thread context', async () => {
    const root = await status('bob', 'root post');
    const fav = (await post(`/api/v1/statuses/${root.id}/favourite`, 'alice')).json() as Status;
    expect(fav).toMatchObject({ favourited: true, favourites_count: 1 });
    expect((await get(`/api/v1/statuses/${root.id}/favourited_by`)).json()).toEqual([expect.objectContaining({ username: 'alice' })]);
    expect((await get(`/api/v1/statuses/${root.id}`, 'alice')).json()).toMatchObject({ favourited: true });
    expect((await post(`/api/v1/statuses/${root.id}/unfavourite`, 'alice')).json()).toMatchObject({ favourited: false, favourites_count: 0 });
    const reply = await status('alice', '@bob a reply', { in_reply_to_id: root.id });
    expect(reply).toMatchObject({ in_reply_to_id: root.id, in_reply_to_account_id: ids.bob });
    const nested = await status('bob', 'nested', { in_reply_to_id: reply.id });
    const context = (await get(`/api/v1/statuses/${reply.id}/context`)).json() as { ancestors: Status[]; descendants: Status[] };
    expect(context.ancestors.map((s) => s.id)).toEqual([root.id]);
    expect(context.descendants.map((s) => s.id)).toEqual([nested.id]);
    const rootContext = (await get(`/api/v1/statuses/${root.id}/context`)).json() as { ancestors: Status[]; descendants: Status[] };
    expect(rootContext.descendants.map((s) => s.id)).toEqual([reply.id, nested.id]);
  });

  it('deletes a status, answering it with its text, and it is gone from both APIs', async () => {
    const s = await status('alice', 'to be deleted');
    expect((await t.runtime.app.inject({ method: 'DELETE', url: `/api/v1/statuses/${s.id}`, headers: bearer(tokens.bob!) })).statusCode).toBe(403);
    const res = await t.runtime.app.inject({ method: 'DELETE', url: `/api/v1/statuses/${s.id}`, headers: bearer(tokens.alice!) });
    expect(res.json()).toMatchObject({ id: s.id, text: 'to be deleted' });
    expect((await get(`/api/v1/statuses/${s.id}`)).statusCode).toBe(404);
    expect((await t.runtime.app.inject({ url: `/api/v1/tweets/${s.id}` })).statusCode).toBe(404);
  });

  it('lists notifications in Mastodon’s shape to apps (the native shape to first-party clients), dismisses and clears them', async () => {
    const liked = await status('bob', 'like me');
    await post(`/api/v1/statuses/${liked.id}/favourite`, 'carol');
    await post(`/api/v1/accounts/${ids.bob}/follow`, 'carol');
    type N = { id: string; type: string; account: { username: string }; status?: { id: string } };
    let list: N[] = [];
    expect(await waitFor(async () => {
      list = (await get('/api/v1/notifications', 'bob')).json() as N[];
      return list.some((n) => n.type === 'favourite' && n.account.username === 'carol') && list.some((n) => n.type === 'follow' && n.account.username === 'carol');
    })).toBe(true);
    expect(list.find((n) => n.type === 'favourite')?.status?.id).toBe(liked.id);
    expect(list.some((n) => n.type === 'mention' && n.account.username === 'alice')).toBe(true);
    expect(((await get('/api/v1/notifications?types[]=follow', 'bob')).json() as N[]).every((n) => n.type === 'follow')).toBe(true);
    const nativeList = await t.runtime.app.inject({ url: '/api/v1/notifications', headers: bearer(native.bob!) });
    expect(nativeList.json()).toHaveProperty('items');
    const dismissed = list[0]!;
    expect((await post(`/api/v1/notifications/${dismissed.id}/dismiss`, 'bob')).statusCode).toBe(200);
    expect(((await get('/api/v1/notifications', 'bob')).json() as N[]).some((n) => n.id === dismissed.id)).toBe(false);
    expect((await post(`/api/v1/notifications/${dismissed.id}/dismiss`, 'bob')).statusCode).toBe(404);
    expect((await post('/api/v1/notifications/clear', 'bob')).statusCode).toBe(200);
    expect((await get('/api/v1/notifications', 'bob')).json()).toEqual([]);
  });

  it('searches accounts, statuses and hashtags (v2) and serves the tag timeline from the search index', async () => {
    const tagged = await status('carol', 'a #Zebra sighting');
    expect(await waitFor(async () => ((await get('/api/v2/search?q=zebra&type=statuses')).json().statuses as Status[]).some((s) => s.id === tagged.id))).toBe(true);
    const all = (await get('/api/v2/search?q=car', 'alice')).json();
    expect(all.accounts).toEqual([expect.objectContaining({ username: 'carol' })]);
    expect((await get('/api/v2/search?q=%23zebra&type=hashtags')).json().hashtags).toEqual([expect.objectContaining({ name: 'zebra' })]);
    const tag = (await get('/api/v1/timelines/tag/zebra')).json() as Status[];
    expect(tag.map((s) => s.id)).toEqual([tagged.id]);
    expect((await get(`/api/v1/timelines/tag/zebra?max_id=${tagged.id}`)).json()).toEqual([]);
  });

  it('holds tokens to their scopes and answers errors with Mastodon’s error member', async () => {
    tokens.reader = await appToken('carol', 'read');
    const refused = await post('/api/v1/statuses', 'reader', { status: 'nope' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toBeTypeOf('string');
    expect((await post(`/api/v1/accounts/${ids.alice}/follow`, 'reader')).statusCode).toBe(403);
    expect((await get('/api/v1/timelines/home', 'reader')).statusCode).toBe(200);
    tokens.poster = await appToken('carol', 'write:statuses');
    expect((await post('/api/v1/statuses', 'poster', { status: 'granular' })).statusCode).toBe(200);
    expect((await get('/api/v1/notifications', 'poster')).statusCode).toBe(403);
  });

  it('answers features it lacks as an instance without them, and bad input with 4xx, never 5xx', async () => {
    const s = await status('alice', 'plain');
    expect((await post(`/api/v1/statuses/${s.id}/reblog`, 'alice')).statusCode).toBe(422);
    expect((await post('/api/v1/statuses', 'alice', { status: 'x', media_ids: ['1'] })).statusCode).toBe(422);
    expect((await post('/api/v1/statuses', 'alice', { status: 'x', visibility: 'direct' })).statusCode).toBe(422);
    expect((await post('/api/v2/media', 'alice', {})).statusCode).toBe(422);
    for (const path of ['/api/v1/lists', '/api/v1/custom_emojis', '/api/v1/filters', '/api/v1/bookmarks', '/api/v1/trends/tags', '/api/v1/conversations']) expect((await get(path, 'alice')).json(), path).toEqual([]);
    const bad = await Promise.all([
      post('/api/v1/statuses', 'alice', { status: '' }),
      post('/api/v1/statuses', 'alice', { status: 'x'.repeat(281) }),
      post('/api/v1/statuses', 'alice', { status: 'x', in_reply_to_id: '99999' }),
      post('/api/v1/statuses', 'alice', { status: 'x' }, { 'idempotency-key': 'k'.repeat(200) }),
      get('/api/v1/statuses/abc'),
      get('/api/v1/statuses/99999999999999999999999'),
      get('/api/v1/timelines/home?limit=abc', 'alice'),
      get('/api/v1/timelines/public?min_id=x'),
      get('/api/v1/timelines/tag/%20'),
      get('/api/v2/search'),
      get('/api/v1/accounts/relationships?id[]=abc', 'alice'),
      post('/api/v1/statuses/1/favourite', 'alice'),
      get('/api/v1/polls/1'),
    ]);
    for (const res of bad) {
      expect(res.statusCode, `${res.statusCode} ${res.body}`).toBeLessThan(500);
      if (res.statusCode >= 400) expect(res.json().error, res.body).toBeTypeOf('string');
    }
  });
});
