import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, waitFor, type TestApp } from './helpers/test-app.js';

/** A raw loopback connection that records what it receives and when the server closes it. */
interface RawClient {
  socket: Socket;
  received(): string;
  closed(): boolean;
  closedAfterMs(): number | undefined;
}

function open(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let text = '';
    let closedAt: number | undefined;
    const socket = connect(port, '127.0.0.1', () =>
      resolve({ socket, received: () => text, closed: () => closedAt !== undefined, closedAfterMs: () => (closedAt === undefined ? undefined : closedAt - started) }),
    );
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('close', () => (closedAt = Date.now()));
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}

/** Writes `chunks` one at a time, `everyMs` apart, while the socket is open (bounded by the chunk count). */
async function trickle(client: RawClient, chunks: readonly string[], everyMs: number): Promise<void> {
  for (const chunk of chunks) {
    if (client.closed() || client.socket.destroyed) return;
    client.socket.write(chunk);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Slow clients (slowloris): headers or a body sent a little at a time, or never finished, and a
 * reader that stops reading. Each is cut off by the timeouts of the configuration, with a 408
 * problem+json where an answer can still be written, and never keeps others from being served.
 * Timeouts are small here so that the test is quick; they are the defaults' shape.
 */
describe('slow clients', () => {
  let t: TestApp;
  let port: number;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    t = await startTestApp({ HEADERS_TIMEOUT_MS: '500', REQUEST_TIMEOUT_MS: '1000', IDLE_TIMEOUT_MS: '1500' });
    await t.runtime.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.runtime.app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const c of clients) c.socket.destroy();
    await t.close();
  });
  const client = async () => {
    const c = await open(port);
    clients.push(c);
    return c;
  };
  const healthy = async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;

  it('cuts off headers that never end (one more header line every 200 ms), with 408 problem+json', async () => {
    const c = await client();
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const lines = Array.from({ length: 50 }, (_, i) => `X-Slow-${i}: a\r\n`);
    const sending = trickle(c, lines, 200);
    expect(await healthy()).toBe(true);
    expect(await waitFor(() => c.closed(), { timeoutMs: 8_000 })).toBe(true);
    await sending;
    // Before 50 lines × 200 ms = 10 s: the headers timeout (0.5 s, checked every second) cut it.
    expect(c.closedAfterMs()!).toBeLessThan(4_000);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(c.received()).toMatch(/content-type: application\/problem\+json/i);
    expect(c.received()).toContain('"code":"request_timeout"');
  });

  it('cuts off a body shorter than its Content-Length, and one that trickles in', async () => {
    const short = await client();
    short.socket.write('POST /api/v1/links HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"url":');
    const trickling = await client();
    trickling.socket.write('POST /api/v1/links HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n');
    const sending = trickle(trickling, Array.from({ length: 100 }, () => ' '), 100);
    expect(await healthy()).toBe(true);
    expect(await waitFor(() => short.closed() && trickling.closed(), { timeoutMs: 8_000 })).toBe(true);
    await sending;
    for (const c of [short, trickling]) {
      expect(c.closedAfterMs()!).toBeLessThan(5_000);
      expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    }
  });

  it('closes the connection of a reader that stops reading a large answer, and serves others meanwhile', async () => {
    const c = await client();
    // The OpenAPI document (tens of kB); the client reads nothing of it.
    c.socket.pause();
    c.socket.write('GET /api/openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const connections = () => new Promise<number>((resolve) => t.runtime.app.server.getConnections((_err, n) => resolve(n)));
    expect(await waitFor(async () => (await connections()) >= 1, { timeoutMs: 2_000 })).toBe(true);
    for (let i = 0; i < 5; i++) expect(await healthy()).toBe(true);
    // Nothing moves on it either way: closed after IDLE_TIMEOUT_MS (1.5 s), whatever its buffers hold.
    expect(await waitFor(async () => (await connections()) === 0, { timeoutMs: 8_000, intervalMs: 100 })).toBe(true);
  });
});
