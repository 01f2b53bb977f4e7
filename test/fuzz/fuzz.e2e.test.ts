import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUserRole } from '../../src/modules/accounts/index.js';
import { ensureWebBuilt } from '../helpers/browser.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { bearer, signUp } from '../helpers/users.js';
import { buildCorpus, type FuzzCase } from './fuzz.corpus.js';

/** Bad requests per endpoint family (the issue asks for at least 1,000). */
const PER_FAMILY = 1_000;
/** Fixed: a failure names its case and the next run sends the same requests. */
const SEED = 17;

interface Failure {
  family: string;
  request: string;
  status: number;
  why: string;
}

/**
 * The fuzz corpus (issue 17): bad inputs derived from the OpenAPI document (every path parameter,
 * query parameter and body field, with the hand-written values of fuzz.values.ts), sent in process
 * to the real app. Every answer must be below 500, carry the request id and the security headers,
 * and every error must be problem+json with a stable code.
 */
describe('fuzz corpus', () => {
  let t: TestApp;
  let corpus: FuzzCase[];
  beforeAll(async () => {
    // `/` serves the web app: unbuilt, it answers 503 (CI builds it before the tests).
    await ensureWebBuilt();
    t = await startTestApp({ PASSWORD_HASH_MEMORY_KIB: '8192', PASSWORD_HASH_ITERATIONS: '1', RATE_LIMIT_AUTH: 'off', QR_RENDER_BUDGET_MS: '1000', ACCESS_LOG: 'off' });
    const inject = t.runtime.app.inject.bind(t.runtime.app);
    const fuzzer = await signUp(t, 'fuzzer');
    await signUp(t, 'target');
    await setUserRole(t.runtime.container.sql, 'fuzzer', 'operator');
    const auth = bearer(fuzzer.token);
    const code = (await inject({ method: 'POST', url: '/api/v1/links', headers: auth, payload: { url: 'https://example.com/fuzz' } })).json().code as string;
    const tweet = (await inject({ method: 'POST', url: '/api/v1/tweets', headers: auth, payload: { text: 'fuzz me' } })).json().id as string;
    const conversation = (await inject({ method: 'POST', url: '/api/v1/conversations', headers: auth, payload: { kind: 'group', title: 'fuzz', members: ['target'] } })).json().id as string;
    await inject({ method: 'POST', url: `/api/v1/conversations/${conversation}/messages`, headers: auth, payload: { text: 'fuzz me', clientId: 'fuzz-1' } });
    const doc = (await inject({ url: '/api/openapi.json' })).json();
    corpus = buildCorpus(
      doc,
      {
        authorization: auth.authorization,
        valid: { code, id: tweet, username: 'target', topic: 'clicks', 'chat.id': conversation, 'chat.seq': '1' },
        bodies: {
          'POST /api/v1/auth/signup': { username: 'newcomer', email: 'newcomer@example.com', password: 'correct horse battery staple' },
          'POST /api/v1/auth/login': { login: 'target', password: 'wrong password' },
          'POST /api/v1/auth/refresh': { refreshToken: 'x'.repeat(43) },
          'POST /api/v1/auth/logout': {},
          'POST /api/v1/api-keys': { name: 'k' },
          'POST /api/v1/links': { url: 'https://example.com/fuzzed' },
          'PATCH /api/v1/links/{code}': { redirect: 302 },
          'POST /api/v1/tweets': { text: 'hello' },
          'POST /api/v1/notifications/read': {},
          'POST /api/v1/conversations': { kind: 'group', title: 'fuzzed', members: ['target'] },
          'PATCH /api/v1/conversations/{id}': { title: 'fuzzed' },
          'POST /api/v1/conversations/{id}/members': { usernames: ['target'] },
          'PATCH /api/v1/conversations/{id}/members/{username}': { role: 'admin' },
          'POST /api/v1/conversations/{id}/messages': { text: 'fuzzed', clientId: 'fuzzed' },
          'PATCH /api/v1/conversations/{id}/messages/{seq}': { text: 'fuzzed' },
          'POST /api/v1/conversations/{id}/read': { seq: 1 },
          'POST /api/v1/admin/queues/{topic}/dead-letters/replay': { ids: ['1'] },
        },
      },
      { perFamily: PER_FAMILY, seed: SEED },
    );
  }, 180_000);
  afterAll(() => t?.close());

  it('answers every bad request below 500, with the problem shape and the security headers', async () => {
    const failures: Failure[] = [];
    const statuses = new Map<string, Map<number, number>>();
    const started = Date.now();
    for (const { family, request } of corpus) {
      const res = await t.runtime.app.inject(request);
      const counts = statuses.get(family) ?? new Map<number, number>();
      statuses.set(family, counts.set(res.statusCode, (counts.get(res.statusCode) ?? 0) + 1));
      const fail = (why: string) => failures.push({ family, request: `${request.method} ${String(request.url).slice(0, 200)} ${String(request.payload ?? '').slice(0, 100)}`, status: res.statusCode, why });
      if (res.statusCode >= 500) fail(`5xx: ${res.body.slice(0, 200)}`);
      if (!res.headers['x-request-id']) fail('no x-request-id');
      if (res.headers['x-content-type-options'] !== 'nosniff' || !String(res.headers['content-security-policy'] ?? '').includes("frame-ancestors 'none'")) fail('security headers missing');
      // The OAuth authorization endpoint is a page for people: its errors are HTML pages to the user
      // (RFC 6749 §4.1.2.1: never a redirect when the client or its redirect URI is in doubt).
      // Its schema and method errors are problems like everywhere else.
      const page = String(request.url).startsWith('/oauth/authorize') && /^text\/html/.test(String(res.headers['content-type']));
      if (res.statusCode >= 400 && request.method !== 'HEAD' && !page) {
        if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) fail(`content-type ${String(res.headers['content-type'])}`);
        else {
          const problem = res.json() as Record<string, unknown>;
          if (problem.status !== res.statusCode || typeof problem.code !== 'string' || !/^[a-z_]+$/.test(problem.code) || typeof problem.type !== 'string' || typeof problem.title !== 'string' || typeof problem.detail !== 'string') fail(`problem shape ${res.body.slice(0, 200)}`);
          if (typeof problem.instance === 'string' && problem.instance.includes('?')) fail('instance holds the query string');
        }
      }
      if (failures.length >= 30) break;
    }
    // The figures the README quotes (requests, families, statuses, 5xx).
    const total = [...statuses.values()].reduce((sum, m) => sum + [...m.values()].reduce((a, b) => a + b, 0), 0);
    const byStatus = new Map<number, number>();
    for (const m of statuses.values()) for (const [s, n] of m) byStatus.set(s, (byStatus.get(s) ?? 0) + n);
    const fiveXx = [...byStatus].filter(([s]) => s >= 500).reduce((a, [, n]) => a + n, 0);
    console.log(
      `fuzz corpus: ${total} requests, ${statuses.size} families (${[...statuses].map(([f, m]) => `${f} ${[...m.values()].reduce((a, b) => a + b, 0)}`).join(', ')}), ` +
        `statuses ${[...byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}, 5xx: ${fiveXx}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(failures).toEqual([]);
    expect(statuses.size).toBeGreaterThanOrEqual(16);
    for (const [family, m] of statuses) expect([...m.values()].reduce((a, b) => a + b, 0), family).toBeGreaterThanOrEqual(PER_FAMILY);
  }, 600_000);
});
