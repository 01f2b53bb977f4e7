import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { setUserRole } from '../src/modules/accounts/index.js';
import { startProcess, type BlueprintProcess } from '../src/process.js';
import { startTestApp, tempDataDir, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

const TOKEN = 'scrape-me-0123456789abcdef';

describe('/metrics on a listener reachable beyond loopback', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ HOST: '0.0.0.0' });
  });
  afterAll(() => t.close());

  it('asks for credentials (problem+json), while health stays open', async () => {
    const res = await t.runtime.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.json()).toMatchObject({ status: 401, code: 'metrics_credentials_required' });
    expect(res.body).not.toContain('http_requests_total');
    expect((await t.runtime.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('refuses a bearer that is neither the token nor an access token, and any token when none is configured', async () => {
    for (const authorization of ['Bearer not-a-jwt', `Bearer ${TOKEN}`, 'Bearer ']) {
      const res = await t.runtime.app.inject({ url: '/metrics', headers: { authorization } });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.json().code).toBe('metrics_credentials_required');
    }
  });

  it('opens to a signed-in operator (the console), not to other users', async () => {
    const ops = await signUp(t, 'ops');
    const someone = await signUp(t, 'someone');
    expect(await setUserRole(t.runtime.container.sql, 'ops', 'operator')).toBe(true);
    const allowed = await t.runtime.app.inject({ url: '/metrics', headers: bearer(ops.token) });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.body).toContain('http_requests_total');
    const refused = await t.runtime.app.inject({ url: '/metrics', headers: bearer(someone.token) });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('metrics_forbidden');
  });
});

describe('/metrics with METRICS_TOKEN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN: TOKEN });
  });
  afterAll(() => t.close());

  it('answers the token, even on loopback asks for it, and refuses a wrong one', async () => {
    const ok = await t.runtime.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('process_cpu_user_seconds_total');
    expect((await t.runtime.app.inject({ url: '/metrics' })).statusCode).toBe(401);
    expect((await t.runtime.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}x` } })).statusCode).toBe(401);
    expect((await t.runtime.app.inject({ url: '/metrics', headers: { authorization: `Basic ${Buffer.from(`a:${TOKEN}`).toString('base64')}` } })).statusCode).toBe(401);
  });

  it('leaves other routes to the access-token check: the static token is no API credential', async () => {
    const res = await t.runtime.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(401);
  });
});

describe('a separate metrics listener (METRICS_PORT)', () => {
  let proc: BlueprintProcess;
  const dataDir = tempDataDir();
  beforeAll(async () => {
    const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', PORT: '0', METRICS_PORT: '0', SQLITE_SYNCHRONOUS: 'normal', RATE_LIMIT_GLOBAL: 'off' });
    proc = await startProcess(config);
  });
  afterAll(() => proc.close());

  it('serves the metrics without credentials there, and closes the public /metrics', async () => {
    const api = proc.listeners.find((l) => l.role === 'api')!;
    const listener = proc.listeners.find((l) => l.role === 'metrics')!;
    expect(new URL(listener.address).hostname).toBe('127.0.0.1');
    await fetch(`${api.address}/healthz`);
    const scraped = await fetch(`${listener.address}/metrics`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/);
    expect((await fetch(`${listener.address}/metrics/api`)).status).toBe(200);
    const unknown = await fetch(`${listener.address}/metrics/gateway`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    const closed = await fetch(`${api.address}/metrics`);
    expect(closed.status).toBe(401);
    expect(((await closed.json()) as { code: string }).code).toBe('metrics_credentials_required');
  });
});
