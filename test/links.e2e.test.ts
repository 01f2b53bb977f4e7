import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/platform/clock/index.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

describe('links over HTTP', () => {
  let t: TestApp;
  const clock = new ManualClock(Date.UTC(2026, 10, 27, 12));
  beforeEach(async () => {
    clock.set(Date.UTC(2026, 10, 27, 12));
    t = await startTestApp({}, { clock });
  });
  afterEach(() => t.close());
  const create = (payload: object) => t.runtime.app.inject({ method: 'POST', url: '/api/v1/links', payload });

  it('shortens a URL and redirects with 302 by default', async () => {
    const res = await create({ url: 'https://example.com/a path?q=1#frag' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ url: 'https://example.com/a%20path?q=1#frag', redirect: 302, expiresAt: null });
    expect(body.code).toMatch(/^[0-9A-Za-z]+$/);
    expect(body.shortUrl).toBe(`http://sho.rt/${body.code}`);
    expect(res.headers.location).toBe(`/api/v1/links/${body.code}`);
    expect(new Date(body.createdAt).getTime()).toBe(clock.now());

    const go = await t.runtime.app.inject({ url: `/${body.code}` });
    expect(go.statusCode).toBe(302);
    expect(go.headers.location).toBe('https://example.com/a%20path?q=1#frag');
    expect(go.headers['cache-control']).toBe('private, no-cache');
    expect(go.body).toBe('');
  });

  it('gives consecutive creations distinct codes', async () => {
    const codes = new Set<string>();
    for (let i = 0; i < 50; i++) codes.add((await create({ url: `https://example.com/${i}` })).json().code);
    expect(codes.size).toBe(50);
  });

  it('sends 301 with the configured max-age when asked', async () => {
    const { code } = (await create({ url: 'https://example.com/', redirect: 301 })).json();
    const go = await t.runtime.app.inject({ url: `/${code}` });
    expect(go.statusCode).toBe(301);
    expect(go.headers['cache-control']).toBe(`public, max-age=${t.config.REDIRECT_PERMANENT_MAX_AGE}`);
  });

  it('takes a custom alias once, refuses reserved and malformed ones', async () => {
    expect((await create({ url: 'https://example.com/', alias: 'my-link_1' })).statusCode).toBe(201);
    const again = await create({ url: 'https://example.org/', alias: 'my-link_1' });
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect(again.json()).toMatchObject({ status: 409, code: 'alias_taken', title: 'Conflict' });
    for (const [alias, code] of [['api', 'alias_reserved'], ['API', 'alias_reserved'], ['metrics', 'alias_reserved'], ['a b', 'alias_invalid'], ['ab', 'alias_invalid'], ['x'.repeat(65), 'alias_invalid'], ['foo+', 'alias_invalid'], ['../x', 'alias_invalid']]) {
      const res = await create({ url: 'https://example.com/', alias });
      expect(res.statusCode, alias).toBe(400);
      expect(res.json().code, alias).toBe(code);
    }
  });

  it('refuses bad target URLs with a stable code each', async () => {
    const cases: [unknown, string][] = [
      ['ftp://example.com/file', 'url_scheme'],
      ['javascript:alert(1)', 'url_scheme'],
      ['data:text/html,<script>alert(1)</script>', 'url_scheme'],
      ['file:///etc/passwd', 'url_scheme'],
      ['not a url', 'url_invalid'],
      ['/relative/path', 'url_invalid'],
      ['', 'url_invalid'],
      ['https://user:secret@example.com/', 'url_credentials'],
      ['https://user@example.com/', 'url_credentials'],
      [`https://example.com/${'a'.repeat(2100)}`, 'url_too_long'],
      ['http://sho.rt/abc', 'url_self'],
      ['http://SHO.RT:80/abc', 'url_self'],
      [{ href: 'https://example.com' }, 'validation_failed'],
    ];
    for (const [url, code] of cases) {
      const res = await create({ url });
      expect(res.statusCode, String(url)).toBe(400);
      expect(res.json().code, String(url)).toBe(code);
      expect(res.json().type).toBe(`https://blueprint.dev/problems/${code}`);
    }
    const missing = await create({});
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'validation_failed' });
    expect(missing.json().errors).toEqual([expect.objectContaining({ field: 'body/url' })]);
  });

  it('lists every invalid field at once', async () => {
    const res = await create({ url: {}, redirect: 303, alias: [] });
    expect(res.statusCode).toBe(400);
    const fields = res.json().errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body/url', 'body/redirect', 'body/alias']));
  });

  it('answers malformed, oversized and non-JSON bodies with 4xx problems', async () => {
    const bad = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/links', headers: { 'content-type': 'application/json' }, payload: '{"url":' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('malformed_body');
    const big = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/links', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ url: `https://e.com/${'a'.repeat(70_000)}` }) });
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('payload_too_large');
    const text = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/links', headers: { 'content-type': 'application/xml' }, payload: '<url>https://example.com</url>' });
    expect(text.statusCode).toBe(415);
    expect(text.json().code).toBe('unsupported_media_type');
  });

  it('expires links: 410 after expiresAt, refuses an expiry in the past', async () => {
    const past = await create({ url: 'https://example.com/', expiresAt: new Date(clock.now() - 1000).toISOString() });
    expect(past.statusCode).toBe(400);
    expect(past.json().code).toBe('expiry_in_past');
    expect((await create({ url: 'https://example.com/', expiresAt: 'tomorrow' })).json().code).toBe('expiry_invalid');

    const expiresAt = new Date(clock.now() + 60_000).toISOString();
    const { code } = (await create({ url: 'https://example.com/', expiresAt })).json();
    expect((await t.runtime.app.inject({ url: `/${code}` })).statusCode).toBe(302);
    clock.advance(60_000);
    const gone = await t.runtime.app.inject({ url: `/${code}` });
    expect(gone.statusCode).toBe(410);
    expect(gone.json().code).toBe('link_expired');
    const page = await t.runtime.app.inject({ url: `/${code}`, headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(410);
    expect(page.headers['content-type']).toContain('text/html');
  });

  it('answers unknown codes with 404, and finds a code created after a miss was cached', async () => {
    const miss = await t.runtime.app.inject({ url: '/later-alias' });
    expect(miss.statusCode).toBe(404);
    expect(miss.json()).toMatchObject({ code: 'link_not_found', status: 404 });
    expect((await create({ url: 'https://example.com/late', alias: 'later-alias' })).statusCode).toBe(201);
    const hit = await t.runtime.app.inject({ url: '/later-alias' });
    expect(hit.statusCode).toBe(302);
    expect(hit.headers.location).toBe('https://example.com/late');
  });

  it('serves redirects from the cache without touching SQL', async () => {
    const { code } = (await create({ url: 'https://example.com/cached' })).json();
    expect((await t.runtime.app.inject({ url: `/${code}` })).statusCode).toBe(302);
    // With the database gone, only the cache can answer.
    await t.runtime.container.sql.close();
    const again = await t.runtime.app.inject({ url: `/${code}` });
    expect(again.statusCode).toBe(302);
    expect(again.headers.location).toBe('https://example.com/cached');
    const cold = await t.runtime.app.inject({ url: '/not-cached-code' });
    expect(cold.statusCode).toBe(500);
    expect(cold.json()).toMatchObject({ code: 'internal', detail: 'The server failed to handle the request.' });
  });

  it('reads a link and serves its QR code', async () => {
    const { code } = (await create({ url: 'https://example.com/qr' })).json();
    const got = await t.runtime.app.inject({ url: `/api/v1/links/${code}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ code, url: 'https://example.com/qr' });
    expect((await t.runtime.app.inject({ url: '/api/v1/links/nope-nope' })).json().code).toBe('link_not_found');
    const svg = await t.runtime.app.inject({ url: `/api/v1/links/${code}/qr` });
    expect(svg.headers['content-type']).toContain('image/svg+xml');
    expect(svg.body).toContain('<svg');
    const png = await t.runtime.app.inject({ url: `/api/v1/links/${code}/qr?format=png&size=128` });
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    expect((await t.runtime.app.inject({ url: `/api/v1/links/${code}/qr?format=gif` })).statusCode).toBe(400);
  });

  it('previews a link with every value escaped', async () => {
    const evil = 'https://example.com/?q="><script>alert(1)</script>';
    const { code } = (await create({ url: evil })).json();
    const page = await t.runtime.app.inject({ url: `/${code}+` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).not.toContain('<script>');
    expect(page.body).toContain('0 clicks');
    expect((await t.runtime.app.inject({ url: '/unknown-code+' })).statusCode).toBe(404);
  });
});
