import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ManualClock } from '../src/platform/clock/index.js';
import { ChatSocketClient } from './helpers/chat-socket.js';
import { freePort } from './helpers/free-port.js';
import { until } from './helpers/poll.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

/** What refuses or cuts a chat socket: credentials, origin, bad frames, dead peers, slow readers, revoked sessions. */
describe('chat socket: protocol and limits', () => {
  let t: TestApp;
  let base: string;
  const users: Record<string, { token: string; userId: string }> = {};
  const open: ChatSocketClient[] = [];
  const HEARTBEAT_MS = 150;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestApp({
      PUBLIC_URL: base,
      CORS_ORIGINS: 'https://app.example.com',
      RATE_LIMIT_AUTH: 'off',
      CHAT_SEND_RATE_LIMIT: 'off',
      CHAT_SOCKET_HEARTBEAT_MS: String(HEARTBEAT_MS),
      CHAT_SOCKET_BUFFER_BYTES: '65536',
    });
    await t.runtime.app.listen({ host: '127.0.0.1', port });
    for (const name of ['ann', 'ben', 'cat', 'dan']) users[name] = await signUp(t, name);
  });
  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    await t?.close();
  });

  const connect = async (name: string, options: Parameters<typeof ChatSocketClient.open>[2] = {}) => {
    const client = await ChatSocketClient.open(base, users[name]!.token, options);
    open.push(client);
    return client;
  };
  /** The HTTP status of an upgrade the server refuses, and its problem document. */
  const refused = (headers: Record<string, string>, protocols?: string[]) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const ws = new WebSocket(ChatSocketClient.url(base), protocols, { headers });
      ws.once('open', () => reject(new Error('the upgrade was accepted')));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as Record<string, unknown> }));
      });
    });

  it('authenticates before the upgrade: no token or a bad one gets an HTTP 401 problem, no socket', async () => {
    expect(await refused({})).toMatchObject({ status: 401, body: { code: 'authentication_required' } });
    expect(await refused({ authorization: `Bearer ${'x'.repeat(40)}` })).toMatchObject({ status: 401, body: { code: 'invalid_token' } });
    expect(await refused({}, ['blueprint.chat.v1', `bearer.${'x'.repeat(40)}`])).toMatchObject({ status: 401, body: { code: 'invalid_token' } });
    // Protocols offered without the chat's: refused rather than echoing a token back.
    expect(await refused({}, [`bearer.${users.ann!.token}`])).toMatchObject({ status: 400, body: { code: 'bad_subprotocol' } });
  });

  it('takes the token as the browser’s subprotocol and selects blueprint.chat.v1', async () => {
    const ann = await connect('ann', { via: 'protocol', origin: base });
    expect(ann.ws.protocol).toBe('blueprint.chat.v1');
    expect(ann.frames[0]).toMatchObject({ type: 'ready', user: { username: 'ann' }, sessionId: expect.any(String), heartbeatMs: HEARTBEAT_MS });
    await ann.request({ type: 'ping' });
    expect((await connect('ann', { origin: 'https://app.example.com' })).frames[0]!.type).toBe('ready');
  });

  it('refuses an Origin that is not the public URL’s or a CORS origin with 403', async () => {
    expect(await refused({ authorization: `Bearer ${users.ann!.token}`, origin: 'https://evil.example' })).toMatchObject({ status: 403, body: { code: 'origin_not_allowed' } });
  });

  it('answers bad frames with a close code or an error frame, never a crash', async () => {
    const binary = await connect('ben');
    binary.send(Buffer.from('{"type":"ping"}'), { binary: true });
    expect(await binary.closed).toEqual({ code: 1003, reason: 'binary frames are not accepted' });

    const text = await connect('ben');
    text.send('{not json');
    expect(await text.closed).toEqual({ code: 1007, reason: 'frames are JSON text' });

    const big = await connect('ben');
    big.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(17 * 1024) }));
    expect((await big.closed).code).toBe(1009);

    const shape = await connect('ben');
    shape.send({ type: 'send', ref: 'r1', conversationId: 'nope', text: 'hi' });
    shape.send({ type: 'launch', ref: 'r2' });
    shape.send([1, 2]);
    await until(() => shape.of('error').length === 3, 'three error frames');
    expect(shape.of('error')).toEqual([
      expect.objectContaining({ ref: 'r1', code: 'bad_frame', detail: expect.stringContaining('send') }),
      expect.objectContaining({ ref: 'r2', code: 'bad_frame', detail: expect.stringContaining('launch') }),
      expect.objectContaining({ code: 'bad_frame' }),
    ]);
    // Still open and answering.
    await shape.request({ type: 'ping' });

    const flood = await connect('ben');
    for (let i = 0; i < 25; i++) flood.send({ type: 'nonsense' });
    expect(await flood.closed).toEqual({ code: 1008, reason: 'too many bad frames' });
    expect(flood.of('error')).toHaveLength(20);
  });

  it('destroys a peer that stops answering pings; a live one stays', async () => {
    const alive = await connect('cat');
    const dead = new WebSocket(ChatSocketClient.url(base), { headers: bearer(users.cat!.token), autoPong: false });
    const closed = new Promise<number>((resolve) => dead.once('close', (code) => resolve(code)));
    const started = Date.now();
    expect(await closed).toBe(1006);
    // One ping unanswered, destroyed at the next tick.
    expect(Date.now() - started).toBeLessThan(HEARTBEAT_MS * 10);
    await alive.request({ type: 'ping' });
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('cuts a client that stops reading once its buffer passes the bound', async () => {
    // A user of its own: the registry says when the server let go of its only socket.
    const slow = await signUp(t, 'slowpoke');
    const id = String((await t.runtime.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: bearer(users.dan!.token), payload: { kind: 'direct', with: 'slowpoke' } })).json<{ id: string }>().id);
    const sender = await connect('dan');
    const reader = await ChatSocketClient.open(base, slow.token);
    open.push(reader);
    await reader.request({ type: 'resume', conversations: { [id]: 0 } });
    const { presence } = t.runtime.container.adapters;
    const held = async () => (await presence.nodesOf([slow.userId])).has(slow.userId);
    expect(await held()).toBe(true);
    // The reader stops reading: the kernel's buffers fill, then the server's.
    (reader.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const text = '€'.repeat(4_000);
    let sent = 0;
    const deadline = Date.now() + 20_000;
    for (let round = 0; round < 200 && Date.now() < deadline && (await held()); round++) {
      await Promise.all(Array.from({ length: 16 }, () => sender.request({ type: 'send', conversationId: id, clientId: `slow-${sent++}`, text }, 20_000)));
    }
    await until(async () => !(await held()), 'the slow reader cut', { timeoutMs: 15_000 });
    (reader.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect([4008, 1006]).toContain((await reader.closed).code);
    expect(reader.seqs(id).length).toBeLessThan(sent);
    // The sender never noticed.
    await sender.request({ type: 'ping' });
  });

  it('closes the sockets of a session with 4401 when it is revoked', async () => {
    const login = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: 'ben', password: 'correct horse battery staple' } });
    const token = login.json<{ accessToken: string }>().accessToken;
    const socket = await ChatSocketClient.open(base, token);
    open.push(socket);
    const other = await connect('ben');
    const out = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(token) });
    expect(out.statusCode).toBe(204);
    expect(await socket.closed).toEqual({ code: 4401, reason: 'session revoked' });
    // Another session of the same user stays.
    await other.request({ type: 'ping' });
  });
});

/** What depends on time and limits: an expiring token, the per-user send limit. */
describe('chat socket: token expiry and the send limit', () => {
  let t: TestApp;
  let base: string;
  const clock = new ManualClock(Date.now());
  const open: ChatSocketClient[] = [];

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestApp({ PUBLIC_URL: base, RATE_LIMIT_AUTH: 'off', CHAT_SEND_RATE_LIMIT: 'fixed-window 3/1m', CHAT_SOCKET_HEARTBEAT_MS: '100' }, { clock });
    await t.runtime.app.listen({ host: '127.0.0.1', port });
  });
  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    await t?.close();
  });

  it('refuses sends past the limit with rate_limited and retryAfter, the socket staying open', async () => {
    const ann = await signUp(t, 'ann');
    await signUp(t, 'ben');
    const id = String((await t.runtime.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: bearer(ann.token), payload: { kind: 'direct', with: 'ben' } })).json<{ id: string }>().id);
    const socket = await ChatSocketClient.open(base, ann.token);
    open.push(socket);
    for (let i = 0; i < 3; i++) await socket.request({ type: 'send', conversationId: id, clientId: `ok-${i}`, text: 'within the limit' });
    const refused = await socket.request({ type: 'send', conversationId: id, clientId: 'over', text: 'one too many' }).catch((e: { frame: unknown }) => e.frame);
    expect(refused).toMatchObject({ type: 'error', code: 'rate_limited', retryAfter: expect.any(Number) });
    // HTTP shares the limit.
    const http = await t.runtime.app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/messages`, headers: bearer(ann.token), payload: { clientId: 'http', text: 'and over HTTP' } });
    expect(http.statusCode).toBe(429);
    await socket.request({ type: 'ping' });
  });

  it('closes a socket with 4401 once its access token expires', async () => {
    const cat = await signUp(t, 'cat');
    const socket = await ChatSocketClient.open(base, cat.token);
    open.push(socket);
    await socket.request({ type: 'ping' });
    clock.advance((t.config.ACCESS_TOKEN_TTL_SECONDS + 1) * 1000);
    expect(await socket.closed).toEqual({ code: 4401, reason: 'token expired' });
  });
});
