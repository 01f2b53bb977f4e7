import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/test-app.js';

describe('security headers and CORS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: 'https://app.example.com' });
  });
  afterAll(() => t.close());

  it('puts the security headers on every response, redirects and errors included', async () => {
    const { code } = (await t.runtime.app.inject({ method: 'POST', url: '/api/v1/links', payload: { url: 'https://example.com/' } })).json();
    for (const url of ['/healthz', `/${code}`, '/no-such-code', '/api/v1/nothing']) {
      const res = await t.runtime.app.inject({ url });
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      expect(res.headers['referrer-policy'], url).toBe('strict-origin-when-cross-origin');
      expect(res.headers['content-security-policy'], url).toContain("frame-ancestors 'none'");
      // Plain HTTP here: HSTS would be meaningless (and is ignored by browsers) without TLS.
      expect(res.headers['strict-transport-security'], url).toBeUndefined();
    }
  });

  it('allows only listed origins, with credentials, never a wildcard', async () => {
    const allowed = await t.runtime.app.inject({ method: 'OPTIONS', url: '/api/v1/links', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    const self = await t.runtime.app.inject({ url: '/api/v1/links/abc', headers: { origin: 'http://sho.rt' } });
    expect(self.headers['access-control-allow-origin']).toBe('http://sho.rt');
    const other = await t.runtime.app.inject({ method: 'OPTIONS', url: '/api/v1/links', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(JSON.stringify(other.headers)).not.toContain('"*"');
  });

  it('leaves other Authorization schemes (a Basic-auth proxy in front) to others', async () => {
    const res = await t.runtime.app.inject({ url: '/healthz', headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(res.statusCode).toBe(200);
    const bad = await t.runtime.app.inject({ url: '/healthz', headers: { authorization: 'Bearer not-a-token' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['www-authenticate']).toMatch(/^Bearer/);
  });
});
