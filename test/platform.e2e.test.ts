import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/test-app.js';

describe('platform endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('puts a request id on every response, keeping a safe incoming one', async () => {
    for (const url of ['/healthz', '/nope/nope', '/unknown-code', '/api/v1/links/x']) {
      const res = await t.runtime.app.inject({ url });
      expect(res.headers['x-request-id'], url).toMatch(/^[0-9a-f-]{36}$/);
    }
    const kept = await t.runtime.app.inject({ url: '/healthz', headers: { 'x-request-id': 'trace-abc.123' } });
    expect(kept.headers['x-request-id']).toBe('trace-abc.123');
    const replaced = await t.runtime.app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id\nwith newline' } });
    // A fresh id instead (a random UUID may itself hold the letters "bad": CI met one).
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers health and readiness', async () => {
    expect((await t.runtime.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await t.runtime.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { database: 'ok', queue: 'ok', cache: 'ok', worker: 'ok' } });
  });

  it('exposes Prometheus metrics per route, for the cache, the queue and clicks', async () => {
    const created = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/links', payload: { url: 'https://example.com/' } });
    await t.runtime.app.inject({ url: `/${created.json().code}` });
    await t.runtime.app.inject({ url: `/${created.json().code}` });
    const res = await t.runtime.app.inject({ url: '/metrics' });
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    expect(text).toMatch(/http_requests_total\{method="POST",route="\/api\/v1\/links",status="201"\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/:code"\}/);
    expect(text).toMatch(/cache_requests_total\{cache="links",result="hit"\} 1/);
    expect(text).toMatch(/cache_requests_total\{cache="links",result="miss"\} [1-9]/);
    expect(text).toMatch(/clicks_buffered_total 2/);
    expect(text).toMatch(/queue_messages\{topic="clicks",state="ready"\} \d+/);
    expect(text).toMatch(/queue_lag_seconds\{topic="clicks"\} [\d.e-]+/);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('serves the OpenAPI 3.1 document and its browser', async () => {
    const doc = (await t.runtime.app.inject({ url: '/api/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/links', '/api/v1/links/{code}', '/api/v1/links/{code}/stats', '/{code}']));
    expect(doc.paths['/api/v1/links'].post.requestBody).toBeDefined();
    const ui = await t.runtime.app.inject({ url: '/api/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('Swagger UI');
  });

  it('answers unknown routes and methods with problem+json', async () => {
    const res = await t.runtime.app.inject({ method: 'DELETE', url: '/api/v1/nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'route_not_found', status: 404 });
  });

  it('reports not ready, with the failing dependency named, when one stops answering', async () => {
    const other = await startTestApp();
    await other.runtime.container.queue.close();
    const res = await other.runtime.app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'not_ready', checks: { database: 'ok' } });
    expect(res.json().checks.queue).not.toBe('ok');
    await other.close();
  });
});
