import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { until } from '../../test/helpers/poll.js';
import type { UpstreamConfig } from '../config/index.js';
import { createLogger } from '../observability/logger.js';
import { systemClock } from '../platform/clock/index.js';
import { UpgradeProxy } from './upgrade-proxy.js';
import { UpstreamPool } from './upstream-pool.js';

/** An upstream: a ws echo server that greets with its name, refuses /refused with a 401 problem, and answers /readyz. */
interface Upstream {
  name: string;
  config: UpstreamConfig;
  server: Server;
  wss: WebSocketServer;
  ready: boolean;
  /** What the last handshake carried. */
  lastHeaders?: IncomingMessage['headers'];
  /** Close codes its sockets received from their peer. */
  closes: number[];
}

const logger = createLogger('silent', { buffered: false });
const opened: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function upstream(name: string): Promise<Upstream> {
  const server = createServer((req, res) => {
    if (req.url === '/readyz') res.writeHead(u.ready ? 200 : 503).end();
    else res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('blueprint.chat.v1') ? 'blueprint.chat.v1' : false) });
  const u: Upstream = { name, server, wss, ready: true, closes: [], config: undefined as unknown as UpstreamConfig };
  server.on('upgrade', (req, socket, head) => {
    u.lastHeaders = req.headers;
    if (req.url === '/refused') {
      const body = JSON.stringify({ status: 401, code: 'unauthorized' });
      socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: application/problem+json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(`hello from ${name}`);
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('close', (code) => u.closes.push(code));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  u.config = { address: `127.0.0.1:${port}`, host: '127.0.0.1', port, weight: 1, backup: false };
  opened.push({
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => server.close(() => r()));
    },
  });
  return u;
}

async function gateway(upstreams: UpstreamConfig[], options: { policy?: 'least-connections' | 'round-robin'; healthMs?: number; drainMs?: number } = {}) {
  const registry = new Registry();
  const pool = new UpstreamPool({
    upstreams,
    policy: options.policy ?? 'least-connections',
    connections: 4,
    maxConcurrent: 0,
    timeoutMs: 2_000,
    retries: 2,
    retryBudget: 1,
    health: { path: '/readyz', intervalMs: options.healthMs ?? 60_000, timeoutMs: 500, healthyThreshold: 1, unhealthyThreshold: 1 },
    passive: { consecutiveErrors: 100, baseEjectionMs: 1_000, maxEjectionPercent: 50 },
    slowStartMs: 0,
    breaker: { failureThreshold: 1_000, openMs: 1_000 },
    clock: systemClock,
    logger,
    registry,
  });
  let draining = false;
  const proxy = new UpgradeProxy({
    pool,
    logger,
    registry,
    timeoutMs: 2_000,
    retries: 2,
    drainMs: options.drainMs ?? 2_000,
    hashKey: (req) => req.socket.remoteAddress ?? '',
    forwardedFor: (req) => req.socket.remoteAddress ?? '',
    isDraining: () => draining,
  });
  const server = createServer((_req, res) => res.writeHead(404).end());
  const sockets = new Set<Socket>();
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  server.on('upgrade', (req, socket, head) => proxy.handle(req, socket, head));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  if (options.healthMs !== undefined) pool.start();
  opened.push({
    close: async () => {
      draining = true;
      await proxy.closeAll();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await pool.close();
    },
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const gauge = async () => {
    const text = await registry.metrics();
    return text
      .split('\n')
      .filter((l) => l.startsWith('gateway_websockets_open{'))
      .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  };
  return { pool, proxy, url, registry, gauge, stop: () => (draining = true) };
}

/** A client that records its messages and its close, and whose first message (the greeting) names its upstream. */
async function connect(url: string, protocols: string[] = []) {
  const ws = new WebSocket(url, protocols);
  const messages: string[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (data) => messages.push(data.toString()));
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', () => reject(new Error('unexpected response')));
    ws.once('error', reject);
  });
  opened.push({ close: () => ws.terminate() });
  await until(() => messages.length > 0, 'the greeting');
  return { ws, messages, closed, upstream: messages[0]!.replace('hello from ', '') };
}

describe('UpgradeProxy', () => {
  it('passes the handshake (subprotocol, forwarded headers) and messages both ways, and the close codes end to end', async () => {
    const a = await upstream('a');
    const g = await gateway([a.config]);
    const client = await connect(g.url, ['blueprint.chat.v1', 'bearer.not-a-real-token']);
    expect(client.ws.protocol).toBe('blueprint.chat.v1');
    expect(a.lastHeaders?.['x-forwarded-for']).toBe('127.0.0.1');
    expect(a.lastHeaders?.['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.lastHeaders?.['sec-websocket-protocol']).toBe('blueprint.chat.v1,bearer.not-a-real-token');
    client.ws.send('ping 1');
    client.ws.send(Buffer.from([0, 1, 2, 255]));
    // A message bigger than a TCP segment arrives whole.
    const big = 'x'.repeat(300_000);
    client.ws.send(big);
    await until(() => client.messages.length === 4, 'the echoes');
    expect(client.messages.slice(0, 3)).toEqual(['hello from a', 'ping 1', Buffer.from([0, 1, 2, 255]).toString()]);
    expect(client.messages[3]).toBe(big);
    expect(await g.gauge()).toBe(1);
    client.ws.close(4000, 'bye');
    expect(await client.closed).toEqual({ code: 4000, reason: 'bye' });
    await until(() => a.closes.includes(4000), 'the upstream sees the client close');
    await until(async () => (await g.gauge()) === 0, 'the tunnel closed');
    expect(g.proxy.open).toBe(0);
  });

  it('passes an upstream refusal (401 problem) on as an HTTP answer', async () => {
    const a = await upstream('a');
    const g = await gateway([a.config]);
    const ws = new WebSocket(`${g.url}/refused`);
    const answer = await new Promise<{ status: number; type: string; body: string }>((resolve) =>
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      }),
    );
    expect(answer).toEqual({ status: 401, type: 'application/problem+json', body: '{"status":401,"code":"unauthorized"}' });
  });

  it('answers 502 problem+json when no upstream can be reached, after trying the others', async () => {
    const a = await upstream('a');
    // Nothing listens on the discard port of the loopback interface.
    const g = await gateway([{ address: '127.0.0.1:9', host: '127.0.0.1', port: 9, weight: 1, backup: false }, a.config], { policy: 'round-robin' });
    // Every socket reaches `a`: a refused connection is retried on the other upstream.
    for (let i = 0; i < 3; i++) expect((await connect(g.url)).upstream).toBe('a');
    const dead = await gateway([{ address: '127.0.0.1:9', host: '127.0.0.1', port: 9, weight: 1, backup: false }]);
    const ws = new WebSocket(dead.url);
    ws.on('error', () => {});
    const status = await new Promise<{ status: number; body: string }>((resolve) =>
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }),
    );
    expect(status.status).toBe(502);
    expect(JSON.parse(status.body)).toMatchObject({ status: 502, code: 'upstream_unreachable' });
  });

  it('balances sockets by open connections (the lease is held while the socket lives)', async () => {
    const [a, b] = [await upstream('a'), await upstream('b')];
    const g = await gateway([a.config, b.config]);
    const clients: Awaited<ReturnType<typeof connect>>[] = [];
    for (let i = 0; i < 6; i++) clients.push(await connect(g.url));
    const count = (name: string) => clients.filter((c) => c.upstream === name).length;
    expect([count('a'), count('b')]).toEqual([3, 3]);
    // Three of a's close: the next three go to a.
    for (const c of clients.filter((c) => c.upstream === 'a')) c.ws.close();
    await until(() => g.proxy.open === 3, 'three tunnels closed');
    const more: Awaited<ReturnType<typeof connect>>[] = [];
    for (let i = 0; i < 3; i++) more.push(await connect(g.url));
    expect(more.map((c) => c.upstream)).toEqual(['a', 'a', 'a']);
  });

  it('closes with 1012 the sockets of an upstream that leaves the pool, within the drain bound, and sends new ones elsewhere', async () => {
    const [a, b] = [await upstream('a'), await upstream('b')];
    const g = await gateway([a.config, b.config], { drainMs: 1_000 });
    const clients: Awaited<ReturnType<typeof connect>>[] = [];
    for (let i = 0; i < 4; i++) clients.push(await connect(g.url));
    const onA = clients.filter((c) => c.upstream === 'a');
    const onB = clients.filter((c) => c.upstream === 'b');
    expect(onA.length).toBe(2);
    const started = Date.now();
    g.pool.setUpstreams([b.config]);
    for (const c of onA) expect(await c.closed).toEqual({ code: 1012, reason: 'service restart' });
    expect(Date.now() - started).toBeLessThan(1_000);
    await until(() => g.proxy.open === 2, 'a’s tunnels gone');
    // b's sockets still work; a new socket goes to b.
    onB[0]!.ws.send('still here');
    await until(() => onB[0]!.messages.includes('still here'), 'b still echoes');
    expect((await connect(g.url)).upstream).toBe('b');
    expect(await g.registry.getSingleMetricAsString('gateway_websockets_drained_total')).toMatch(/reason="upstream_left"} 2/);
  });

  it('keeps the sockets of an upstream that fails its health checks, and sends new ones elsewhere', async () => {
    const [a, b] = [await upstream('a'), await upstream('b')];
    const g = await gateway([a.config, b.config], { healthMs: 50 });
    const clients = [];
    for (let i = 0; i < 2; i++) clients.push(await connect(g.url));
    const onA = clients.find((c) => c.upstream === 'a')!;
    a.ready = false;
    await until(() => g.pool.balancer.snapshot().find((s) => s.id === a.config.address)?.healthy === false, 'a out of rotation');
    for (let i = 0; i < 3; i++) expect((await connect(g.url)).upstream).toBe('b');
    onA.ws.send('still here');
    await until(() => onA.messages.includes('still here'), 'a still echoes');
    expect(onA.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('closes every socket with 1001 when the gateway shuts down, and refuses new handshakes with 503', async () => {
    const a = await upstream('a');
    const g = await gateway([a.config]);
    const clients = [await connect(g.url), await connect(g.url)];
    g.stop();
    await g.proxy.closeAll();
    for (const c of clients) expect(await c.closed).toEqual({ code: 1001, reason: 'going away' });
    expect(g.proxy.open).toBe(0);
    const ws = new WebSocket(g.url);
    ws.on('error', () => {});
    const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(503);
  });

  it('tells the client to reconnect (1012) when the upstream connection is reset, as a killed host does', async () => {
    const a = await upstream('a');
    const g = await gateway([a.config]);
    const client = await connect(g.url);
    for (const ws of a.wss.clients) (ws as unknown as { _socket: Socket })._socket.resetAndDestroy();
    expect((await client.closed).code).toBe(1012);
    await until(() => g.proxy.open === 0, 'the tunnel closed');
  });
});
