import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DIALECTS, type TestDatabase } from '../src/platform/sql/testing/test-databases.js';
import { SERVICES } from './helpers/services.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

/** One text policy across the API's free-text fields (src/shared/text). */
describe('free-text fields', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp();
    ({ token } = await signUp(t, 'writer'));
  });
  afterAll(() => t.close());

  const inject = (options: InjectOptions) => t.runtime.app.inject(options);
  const expectProblem = (res: LightMyRequestResponse, code: string, field: string) => {
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 400, code, errors: [{ field }] });
  };

  it('API-key names: no NUL, control or bidi characters, at most 100 code points, stored in NFC', async () => {
    for (const name of ['deploy\u0000', 'a\u001b[31mred', 'invoice\u202Egpj.exe', 'half \ud83d']) {
      expectProblem(await inject({ method: 'POST', url: '/api/v1/api-keys', headers: bearer(token), payload: { name } }), 'api_key_name_invalid', 'body/name');
    }
    expectProblem(await inject({ method: 'POST', url: '/api/v1/api-keys', headers: bearer(token), payload: { name: '🔑'.repeat(101) } }), 'api_key_name_invalid', 'body/name');
    expectProblem(await inject({ method: 'POST', url: '/api/v1/api-keys', headers: bearer(token), payload: { name: ' \u3000 ' } }), 'api_key_name_invalid', 'body/name');
    const created = await inject({ method: 'POST', url: '/api/v1/api-keys', headers: bearer(token), payload: { name: ` ${'🔑'.repeat(99)}e\u0301 ` } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().name).toBe(`${'🔑'.repeat(99)}é`);
  });

  it('login names and usernames: a control character names nobody (the same 401 as any unknown login), and signs nobody up', async () => {
    for (const login of ['writer\u0000', 'writer\u202e', 'wri\u0007ter']) {
      const res = await inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login, password: 'correct horse battery staple' } });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('invalid_credentials');
    }
    expect((await inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: ' writer ', password: 'correct horse battery staple' } })).statusCode).toBe(200);
    const signup = await inject({ method: 'POST', url: '/api/v1/auth/signup', payload: { username: 'bad\u0000name', email: 'bad@example.com', password: 'correct horse battery staple' } });
    expect(signup.statusCode).toBe(400);
    expect(signup.headers['content-type']).toContain('application/problem+json');
  });

  it('the link search: refused with a control character, blank means no filter', async () => {
    expectProblem(await inject({ url: `/api/v1/links?q=${encodeURIComponent('a\u0000')}`, headers: bearer(token) }), 'text_invalid', 'querystring/q');
    expect((await inject({ url: '/api/v1/links?q=%20', headers: bearer(token) })).statusCode).toBe(200);
  });
});

const postgres = TEST_DIALECTS.find((d) => d.name === 'postgres')!;

// PostgreSQL refuses NUL in text: there, a NUL that reached a query would be a 500.
describe.runIf(postgres.available)('free-text fields on PostgreSQL: NUL never reaches a query', () => {
  let database: TestDatabase;
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    database = await postgres.create();
    t = await startTestApp({ DATABASE_URL: SERVICES.postgres, DATABASE_SCHEMA: database.address.slice('postgres:'.length), PASSWORD_HASH_MEMORY_KIB: '8192' });
    ({ token } = await signUp(t, 'writer'));
  });
  afterAll(async () => {
    await t.close();
    await database.dispose();
  });

  it('answers every field holding NUL without a 5xx: a 4xx problem, or nothing found', async () => {
    const nul = encodeURIComponent('a\u0000b');
    const requests = [
      { method: 'POST' as const, url: '/api/v1/auth/login', payload: { login: 'writer\u0000', password: 'correct horse battery staple' } },
      { method: 'POST' as const, url: '/api/v1/auth/signup', payload: { username: 'a\u0000b', email: 'a\u0000@example.com', password: 'correct horse battery staple' } },
      { method: 'POST' as const, url: '/api/v1/api-keys', headers: bearer(token), payload: { name: 'k\u0000' } },
      { method: 'GET' as const, url: `/api/v1/links?q=${nul}`, headers: bearer(token) },
      { method: 'GET' as const, url: `/api/v1/users/${nul}` },
      { method: 'GET' as const, url: `/api/v1/users/${nul}/tweets` },
      { method: 'PUT' as const, url: `/api/v1/users/${nul}/follow`, headers: bearer(token) },
      { method: 'GET' as const, url: `/api/v1/search?q=${nul}` },
      { method: 'GET' as const, url: `/api/v1/search?type=users&q=${nul}` },
      { method: 'GET' as const, url: `/${nul}` },
    ];
    const statuses: number[] = [];
    for (const request of requests) {
      const res = await t.runtime.app.inject(request);
      expect(res.statusCode, `${request.method} ${request.url}: ${res.body}`).toBeLessThan(500);
      if (res.statusCode >= 400) expect(res.headers['content-type']).toContain('application/problem+json');
      statuses.push(res.statusCode);
    }
    // login 401, signup 400, key 400, links 400, user 404 (twice), follow 404, searches find nothing, redirect 404.
    expect(statuses).toEqual([401, 400, 400, 400, 404, 404, 404, 200, 200, 404]);
  });
});
