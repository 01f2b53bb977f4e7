import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

describe('owners manage their links', () => {
  let t: TestApp;
  let alice: string;
  let bob: string;
  beforeAll(async () => {
    t = await startTestApp({ PASSWORD_HASH_MEMORY_KIB: '8192' });
    alice = (await signUp(t, 'alice')).token;
    bob = (await signUp(t, 'bob')).token;
  });
  afterAll(() => t.close());
  const inject = (opts: InjectOptions | string) => t.runtime.app.inject(opts);
  const create = (token: string | null, payload: object) => inject({ method: 'POST', url: '/api/v1/links', headers: token ? bearer(token) : {}, payload });

  it('lists only your own links, newest first, a page at a time', async () => {
    const created: { code: string; createdAt: string }[] = [];
    for (let i = 0; i < 5; i++) created.push((await create(alice, { url: `https://example.com/alice/${i}` })).json());
    // Newest first; links made in the same millisecond (creation is quick) by code, descending.
    const mine = created
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
      .map((l) => l.code);
    await create(bob, { url: 'https://example.com/bob' });
    await create(null, { url: 'https://example.com/anonymous' });
    const first = await inject({ url: '/api/v1/links?limit=2', headers: bearer(alice) });
    expect(first.statusCode).toBe(200);
    const seen = [...first.json().items];
    let cursor = first.json().nextCursor;
    while (cursor) {
      const page = await inject({ url: `/api/v1/links?limit=2&cursor=${encodeURIComponent(cursor)}`, headers: bearer(alice) });
      seen.push(...page.json().items);
      cursor = page.json().nextCursor;
    }
    expect(seen.map((l: { code: string }) => l.code)).toEqual([...mine].reverse());
    expect((await inject({ url: '/api/v1/links' })).statusCode).toBe(401);
    expect((await inject({ url: '/api/v1/links?cursor=garbage', headers: bearer(alice) })).json().code).toBe('cursor_invalid');
  });

  it('lets the owner change target, expiry and redirect status, taking effect at once', async () => {
    const { code } = (await create(alice, { url: 'https://example.com/before' })).json();
    expect((await inject({ url: `/${code}` })).headers.location).toBe('https://example.com/before');
    const patched = await inject({ method: 'PATCH', url: `/api/v1/links/${code}`, headers: bearer(alice), payload: { url: 'https://example.com/after', redirect: 301 } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ url: 'https://example.com/after', redirect: 301 });
    const go = await inject({ url: `/${code}` });
    expect(go.statusCode).toBe(301);
    expect(go.headers.location).toBe('https://example.com/after');
    const expiring = await inject({ method: 'PATCH', url: `/api/v1/links/${code}`, headers: bearer(alice), payload: { expiresAt: new Date(Date.now() + 60_000).toISOString() } });
    expect(expiring.json().expiresAt).not.toBeNull();
    expect((await inject({ method: 'PATCH', url: `/api/v1/links/${code}`, headers: bearer(alice), payload: { expiresAt: null } })).json().expiresAt).toBeNull();
  });

  it('refuses changes from others, from anonymous callers, and bad changes', async () => {
    const { code } = (await create(alice, { url: 'https://example.com/x' })).json();
    const anonymousLink = (await create(null, { url: 'https://example.com/y' })).json().code;
    expect((await inject({ method: 'PATCH', url: `/api/v1/links/${code}`, headers: bearer(bob), payload: { url: 'https://evil.example/' } })).json().code).toBe('not_link_owner');
    expect((await inject({ method: 'DELETE', url: `/api/v1/links/${code}`, headers: bearer(bob) })).statusCode).toBe(403);
    expect((await inject({ method: 'DELETE', url: `/api/v1/links/${anonymousLink}`, headers: bearer(alice) })).statusCode).toBe(403);
    expect((await inject({ method: 'PATCH', url: `/api/v1/links/${code}`, payload: { url: 'https://evil.example/' } })).statusCode).toBe(401);
    expect((await inject({ method: 'PATCH', url: `/api/v1/links/${code}`, headers: bearer(alice), payload: { url: 'ftp://x' } })).json().code).toBe('url_scheme');
    expect((await inject({ method: 'PATCH', url: `/api/v1/links/${code}`, headers: bearer(alice), payload: {} })).json().code).toBe('validation_failed');
    expect((await inject({ method: 'PATCH', url: '/api/v1/links/nothing-here', headers: bearer(alice), payload: { redirect: 301 } })).statusCode).toBe(404);
    expect((await inject({ url: `/${code}` })).headers.location).toBe('https://example.com/x');
  });

  it('deletes at once, and never hands the code out again', async () => {
    const { code } = (await create(alice, { url: 'https://example.com/gone', alias: 'gone-soon' })).json();
    expect((await inject({ url: `/${code}` })).statusCode).toBe(302);
    expect((await inject({ method: 'DELETE', url: `/api/v1/links/${code}`, headers: bearer(alice) })).statusCode).toBe(204);
    expect((await inject({ url: `/${code}` })).statusCode).toBe(404);
    expect((await inject({ url: `/api/v1/links/${code}` })).statusCode).toBe(404);
    expect((await create(bob, { url: 'https://phish.example/', alias: 'gone-soon' })).json().code).toBe('alias_taken');
    expect((await inject({ method: 'DELETE', url: `/api/v1/links/${code}`, headers: bearer(alice) })).statusCode).toBe(404);
  });

  it('stores injection strings in links as inert data', async () => {
    const nasty = `https://example.com/?q='); DROP TABLE links;--&x=<script>alert(1)</script>&y=" OR "1"="1`;
    const created = await create(alice, { url: nasty });
    expect(created.statusCode).toBe(201);
    const back = await inject({ url: `/api/v1/links/${created.json().code}` });
    expect(back.json().url).toBe(new URL(nasty).href);
    expect(back.headers['content-type']).toContain('application/json');
    expect((await inject({ url: '/api/v1/links', headers: bearer(alice) })).statusCode).toBe(200);
  });
});
