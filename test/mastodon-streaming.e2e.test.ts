import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePort } from './helpers/free-port.js';
import { startTestApp, waitFor, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

type Message = { stream: string[]; event: string; payload: string };

/** Mastodon's streaming API on a listening server, driven with a plain WebSocket client. */
describe('Mastodon streaming API (WebSocket)', () => {
  let t: TestApp;
  let port: number;
  const users: Record<string, { token: string; userId: string }> = {};
  const open: WebSocket[] = [];

  beforeAll(async () => {
    port = await freePort();
    t = await startTestApp({ PUBLIC_URL: `http://127.0.0.1:${port}`, RATE_LIMIT_AUTH: 'off' });
    await t.runtime.app.listen({ host: '127.0.0.1', port });
    for (const name of ['ann', 'ben']) users[name] = await signUp(t, name);
    await t.runtime.app.inject({ method: 'PUT', url: '/api/v1/users/ben/follow', headers: bearer(users.ann!.token) });
    // Fan-out skips followers who never read their timeline.
    await t.runtime.app.inject({ url: '/api/v1/timeline/home', headers: bearer(users.ann!.token) });
  });
  afterAll(async () => {
    for (const ws of open) ws.terminate();
    await t?.close();
  });

  /** Connects and collects messages; resolves once open. */
  async function connect(query: string): Promise<{ ws: WebSocket; messages: Message[] }> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/streaming?${query}`);
    open.push(ws);
    const messages: Message[] = [];
    ws.on('message', (m) => messages.push(JSON.parse(String(m)) as Message));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    // The subscription is made right after the upgrade.
    await new Promise((r) => setTimeout(r, 100));
    return { ws, messages };
  }
  const post = async (name: string, text: string) => {
    const res = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/tweets', headers: bearer(users[name]!.token), payload: { text } });
    return (res.json() as { id: string }).id;
  };
  const received = (messages: Message[], event: string, match: (payload: string) => boolean) => waitFor(() => messages.some((m) => m.event === event && match(m.payload)), { timeoutMs: 8_000 });

  it('sends the user stream: update and delete of followed accounts, and notifications', async () => {
    const { messages } = await connect(`stream=user&access_token=${users.ann!.token}`);
    const id = await post('ben', 'hello @ann');
    expect(await received(messages, 'update', (p) => (JSON.parse(p) as { id: string }).id === id)).toBe(true);
    const update = messages.find((m) => m.event === 'update')!;
    expect(update.stream).toEqual(['user']);
    expect(JSON.parse(update.payload)).toMatchObject({ id, account: { username: 'ben' }, content: expect.stringContaining('h-card') });
    expect(await received(messages, 'notification', (p) => (JSON.parse(p) as { type: string }).type === 'mention')).toBe(true);
    await t.runtime.app.inject({ method: 'DELETE', url: `/api/v1/tweets/${id}`, headers: bearer(users.ben!.token) });
    expect(await received(messages, 'delete', (p) => p === id)).toBe(true);
  });

  it('sends public:local and hashtag streams (subscribed by message), from either API', async () => {
    const { ws, messages } = await connect('stream=public:local');
    ws.send(JSON.stringify({ type: 'subscribe', stream: 'hashtag', tag: 'Otters' }));
    await new Promise((r) => setTimeout(r, 1_200));
    const plain = await post('ann', 'a plain post');
    expect(await received(messages, 'update', (p) => (JSON.parse(p) as { id: string }).id === plain)).toBe(true);
    const tagged = await post('ben', 'look #otters');
    expect(await waitFor(() => messages.some((m) => m.stream[0] === 'hashtag' && m.stream[1] === 'otters' && (JSON.parse(m.payload) as { id: string }).id === tagged), { timeoutMs: 8_000 })).toBe(true);
    ws.send(JSON.stringify({ type: 'subscribe', stream: 'nonsense' }));
    ws.send('not json');
    expect(await waitFor(() => messages.filter((m) => m.event === 'error').length === 2)).toBe(true);
  });

  it('refuses a bad token before the upgrade, and the user stream without one', async () => {
    const refused = new WebSocket(`ws://127.0.0.1:${port}/api/v1/streaming?stream=user&access_token=bpo_${'x'.repeat(43)}`);
    const status = await new Promise<number>((resolve) => refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(401);
    const { messages } = await connect('stream=user');
    expect(await waitFor(() => messages.some((m) => m.event === 'error'))).toBe(true);
    const health = await fetch(`http://127.0.0.1:${port}/api/v1/streaming/health`);
    expect(await health.text()).toBe('OK');
  });
});
