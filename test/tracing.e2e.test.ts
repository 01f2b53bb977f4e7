import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleEdge } from '../src/composition/edge.js';
import { loadConfig } from '../src/config/index.js';
import { startGateway, type Gateway } from '../src/gateway/index.js';
import { createLogger } from '../src/observability/logger.js';
import { startTestApp, waitFor, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

/**
 * W3C Trace Context across the gateway and the API: the client's traceparent is the root, the
 * gateway's request span its child, each upstream attempt the gateway's child, and the API's
 * request span the attempt's child, all in one trace, exported (here, in memory).
 */
describe('tracing: gateway -> API', () => {
  const apiSpans = new InMemorySpanExporter();
  const gatewaySpans = new InMemorySpanExporter();
  let api: TestApp;
  let gateway: Gateway;
  let base: string;

  beforeAll(async () => {
    api = await startTestApp({}, { spanExporter: apiSpans });
    const upstream = new URL(await api.runtime.app.listen({ host: '127.0.0.1', port: 0 })).host;
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', RATE_LIMIT_GLOBAL: 'off', GATEWAY_UPSTREAMS: upstream, PUBLIC_URL: 'http://sho.rt' });
    gateway = await startGateway(config, assembleEdge(config, { logger: createLogger('silent', { buffered: false }), spanExporter: gatewaySpans }));
    base = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await gateway?.close();
    await api?.close();
  });

  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  it('makes one trace of the client, the gateway, its attempt and the API', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const clientSpanId = '00f067aa0ba902b7';
    const response = await fetch(`${base}/api/v1/users/nobody`, { headers: { traceparent: `00-${traceId}-${clientSpanId}-01` } });
    expect(response.status).toBe(404);
    expect(await waitFor(() => apiSpans.getFinishedSpans().length > 0 && gatewaySpans.getFinishedSpans().length >= 2)).toBe(true);
    const edge = gatewaySpans.getFinishedSpans().find((s) => s.name === 'GET /*')!;
    const attempt = gatewaySpans.getFinishedSpans().find((s) => s.name.startsWith('GET 127.0.0.1:'))!;
    const served = apiSpans.getFinishedSpans().find((s) => s.name === 'GET /api/v1/users/:username' || s.name.startsWith('GET /api/v1/users/'))!;
    for (const span of [edge, attempt, served]) expect(span.spanContext().traceId).toBe(traceId);
    expect(parentOf(edge)).toBe(clientSpanId);
    expect(parentOf(attempt)).toBe(edge.spanContext().spanId);
    expect(parentOf(served)).toBe(attempt.spanContext().spanId);
    expect(served.attributes['http.response.status_code']).toBe(404);
    expect(attempt.attributes['http.response.status_code']).toBe(404);
  });

  it('starts a trace when the client sends none, and ignores a malformed traceparent', async () => {
    gatewaySpans.reset();
    apiSpans.reset();
    await fetch(`${base}/api/v1/users/nobody`, { headers: { traceparent: 'not-a-traceparent' } });
    expect(await waitFor(() => apiSpans.getFinishedSpans().some((s) => s.name.startsWith('GET /api/v1/users/')) && gatewaySpans.getFinishedSpans().length >= 2)).toBe(true);
    const edge = gatewaySpans.getFinishedSpans().find((s) => s.name === 'GET /*')!;
    expect(edge.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(edge.spanContext().traceId).not.toBe('0'.repeat(32));
    expect(parentOf(edge)).toBeUndefined();
    expect(apiSpans.getFinishedSpans().find((s) => s.name.startsWith('GET /api/v1/users/'))!.spanContext().traceId).toBe(edge.spanContext().traceId);
  });
  it('continues the trace through the outbox and the queue into each consumer', async () => {
    const { token } = await signUp(api, 'tracer');
    apiSpans.reset();
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const posted = await fetch(`${base}/api/v1/tweets`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json', traceparent: `00-${traceId}-b7ad6b7169203331-01` },
      body: JSON.stringify({ text: 'traced all the way #tracing' }),
    });
    expect(posted.status).toBe(201);
    const consumed = () => apiSpans.getFinishedSpans().filter((s) => s.name.startsWith('consume ') && s.spanContext().traceId === traceId);
    // The fan-out is inline here (timelines in this process): the queue's consumers are search and notifications.
    expect(await waitFor(() => new Set(consumed().map((s) => s.name)).size === 2, { timeoutMs: 10_000 })).toBe(true);
    const served = apiSpans.getFinishedSpans().find((s) => s.name === 'POST /api/v1/tweets')!;
    expect(served.spanContext().traceId).toBe(traceId);
    expect(new Set(consumed().map((s) => s.name))).toEqual(new Set(['consume feed.search', 'consume feed.notifications']));
    for (const span of consumed()) expect(parentOf(span)).toBe(served.spanContext().spanId);
  });
});
