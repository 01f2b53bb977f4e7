import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ChatSocketClient, type ServerFrame } from './helpers/chat-socket.js';
import { freePort } from './helpers/free-port.js';
import { until } from './helpers/poll.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

/** Presence over the chat socket: online, away, offline with last seen, only to contacts, with expiry. */
describe('chat socket: presence', () => {
  let t: TestApp;
  let base: string;
  const users: Record<string, { token: string; userId: string }> = {};
  const open: ChatSocketClient[] = [];

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestApp({ PUBLIC_URL: base, RATE_LIMIT_AUTH: 'off', CHAT_SOCKET_HEARTBEAT_MS: '150' });
    await t.runtime.app.listen({ host: '127.0.0.1', port });
    for (const name of ['ann', 'ben', 'cat', 'dan', 'eve']) users[name] = await signUp(t, name);
    const api = (name: string, method: 'POST' | 'PUT', url: string, payload?: object) =>
      t.runtime.app.inject({ method, url, headers: bearer(users[name]!.token), ...(payload === undefined ? {} : { payload }) });
    // ann and ben share a conversation; cat shares a group with ann but blocked her; dan shares nothing.
    await api('ann', 'POST', '/api/v1/conversations', { kind: 'direct', with: 'ben' });
    await api('ann', 'POST', '/api/v1/conversations', { kind: 'group', title: 'ann, cat, eve', members: ['cat', 'eve'] });
    await api('cat', 'PUT', '/api/v1/chat/blocks/ann');
  });
  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    await t?.close();
  });
  // Each test starts with nobody connected.
  afterEach(async () => {
    for (const c of open.splice(0)) c.ws.terminate();
    const chat = (t.runtime.container.modules as unknown as { chat: { socket: { connections(): number } } }).chat;
    await until(() => chat.socket.connections() === 0, 'every socket gone');
  });

  const connect = async (name: string) => {
    const client = await ChatSocketClient.open(base, users[name]!.token);
    open.push(client);
    return client;
  };
  const about = (client: ChatSocketClient, name: string) => client.of('presence').filter((f) => (f.user as { username: string }).username === name);
  const statuses = (frames: ServerFrame[]) => frames.map((f) => f.status);

  it('announces online, away and offline with last seen to contacts, not to strangers nor across a block', async () => {
    const [ben, cat, dan] = [await connect('ben'), await connect('cat'), await connect('dan')];
    const ann = await connect('ann');
    await until(() => about(ben, 'ann').length === 1, 'ann online');
    expect(about(ben, 'ann')[0]).toMatchObject({ status: 'online', lastSeen: null, user: { id: users.ann!.userId, username: 'ann' } });
    await ann.request({ type: 'presence', status: 'away' });
    await until(() => about(ben, 'ann').length === 2, 'ann away');
    // A second socket: online again; it goes, the first is still away.
    const again = await connect('ann');
    await until(() => about(ben, 'ann').length === 3, 'ann back online');
    again.close();
    await until(() => about(ben, 'ann').length === 4, 'ann away again');
    const before = Date.now();
    ann.close();
    await until(() => about(ben, 'ann').length === 5, 'ann offline');
    expect(statuses(about(ben, 'ann'))).toEqual(['online', 'away', 'online', 'away', 'offline']);
    const lastSeen = Date.parse(String(about(ben, 'ann')[4]!.lastSeen));
    expect(lastSeen).toBeGreaterThanOrEqual(before - 1_000);
    expect(lastSeen).toBeLessThanOrEqual(Date.now());
    // The same routing step reached ben, cat and dan at once: nothing about ann for the other two.
    expect(about(cat, 'ann')).toEqual([]);
    expect(about(dan, 'ann')).toEqual([]);
  });

  it('tells a new socket where its contacts are: online, or last seen', async () => {
    const eve = await connect('eve');
    const ben = await connect('ben');
    const ann = await connect('ann');
    await until(() => about(ann, 'eve').length === 1 && about(ann, 'ben').length === 1, 'the contacts’ presence');
    expect(about(ann, 'eve')[0]).toMatchObject({ status: 'online', lastSeen: null });
    eve.close();
    await until(() => about(ann, 'eve').length === 2, 'eve offline');
    ben.close();
    await until(() => about(ann, 'ben').length === 2, 'ben offline');
    const later = await connect('ann');
    await until(() => about(later, 'eve').length === 1, 'eve’s last seen');
    expect(about(later, 'eve')[0]).toMatchObject({ status: 'offline', lastSeen: about(ann, 'eve')[1]!.lastSeen });
    // Blocked either way: cat is no contact of ann.
    expect(about(later, 'cat')).toEqual([]);
  });

  it('destroys a peer that stops answering pings, and its user goes offline', async () => {
    const ben = await connect('ben');
    // Where ann was when ben connected: offline, since the earlier tests.
    await until(() => about(ben, 'ann').length === 1, 'ann’s last seen');
    const silent = new WebSocket(ChatSocketClient.url(base), { headers: bearer(users.ann!.token), autoPong: false });
    const code = await new Promise<number>((resolve) => silent.once('close', (c) => resolve(c)));
    expect(code).toBe(1006);
    await until(() => statuses(about(ben, 'ann')).join() === 'offline,online,offline', 'ann online, then offline');
  });

  it('forgets the users of a process that stopped renewing once their entries expire', async () => {
    const { presence } = t.runtime.container.adapters;
    // A process that connected eve, then died without a word.
    await presence.connect(users.eve!.userId, 'lost-node', 2_000);
    const ann = await connect('ann');
    await until(() => about(ann, 'eve').length === 1, 'eve as the lost node left her');
    expect(about(ann, 'eve')[0]).toMatchObject({ status: 'online' });
    await until(async () => !(await presence.nodesOf([users.eve!.userId])).has(users.eve!.userId), 'the entry expired');
    const later = await connect('ann');
    await until(() => about(later, 'eve').length === 1, 'eve’s presence');
    expect(about(later, 'eve')[0]).toMatchObject({ status: 'offline', lastSeen: expect.any(String) });
  });
});
