import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatSocketClient, type ServerFrame } from './helpers/chat-socket.js';
import { freePort } from './helpers/free-port.js';
import { until } from './helpers/poll.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

/** The chat over real WebSockets: ordering, resume, edits, receipts, typing, permissions, blocks. */
describe('chat socket: messaging', () => {
  let t: TestApp;
  let base: string;
  const users: Record<string, { token: string; userId: string }> = {};
  const open: ChatSocketClient[] = [];

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestApp({ PUBLIC_URL: base, RATE_LIMIT_AUTH: 'off', CHAT_SEND_RATE_LIMIT: 'off' });
    await t.runtime.app.listen({ host: '127.0.0.1', port });
    for (const name of ['ann', 'ben', 'cat', 'dan', 'eve']) users[name] = await signUp(t, name);
  });
  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    await t?.close();
  });

  const connect = async (name: string) => {
    const client = await ChatSocketClient.open(base, users[name]!.token);
    open.push(client);
    return client;
  };
  const api = async (name: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) => {
    const res = await t.runtime.app.inject({ method, url, headers: bearer(users[name]!.token), ...(payload === undefined ? {} : { payload }) });
    if (res.statusCode >= 400) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.body === '' ? {} : (res.json() as Record<string, unknown>);
  };
  const group = async (owner: string, members: string[]) => String((await api(owner, 'POST', '/api/v1/conversations', { kind: 'group', title: `${owner}'s group`, members })).id);
  const direct = async (a: string, b: string) => String(((await api(a, 'POST', '/api/v1/conversations', { kind: 'direct', with: b })) as { id: string }).id);
  let clientIds = 0;
  const say = (client: ChatSocketClient, conversationId: string, text: string) => client.request({ type: 'send', conversationId, clientId: `c${++clientIds}`, text });
  /** The seqs 1..n. */
  const upTo = (n: number, from = 1) => Array.from({ length: n - from + 1 }, (_, i) => from + i);

  it('gives every member’s sockets each message once, in the same seq order, under concurrent senders', async () => {
    const id = await group('ann', ['ben', 'cat']);
    const sockets = [await connect('ann'), await connect('ann'), await connect('ben'), await connect('cat')];
    // As clients do: resume what they know (here, from the start), which anchors each socket's order.
    for (const s of sockets) await s.request({ type: 'resume', conversations: { [id]: 0 } });
    const [ann1, ann2, ben] = sockets as [ChatSocketClient, ChatSocketClient, ChatSocketClient, ChatSocketClient];
    const acks: Promise<ServerFrame>[] = [];
    for (let i = 0; i < 15; i++) for (const [n, s] of [ann1, ann2, ben].entries()) acks.push(say(s, id, `from ${n}: ${i}`));
    // And over HTTP at the same time: one counter, one order.
    const http = Array.from({ length: 15 }, (_, i) => api('cat', 'POST', `/api/v1/conversations/${id}/messages`, { clientId: `http-${i}`, text: `http ${i}` }));
    const answered = await Promise.all(acks);
    await Promise.all(http);
    expect(new Set(answered.map((a) => (a.message as { seq: number }).seq)).size).toBe(45);
    for (const s of sockets) await until(() => s.seqs(id).length >= 60, 'every message on every socket');
    for (const s of sockets) expect(s.seqs(id)).toEqual(upTo(60));
    // Each event carries the stored message at that seq.
    const created = ben.of('message.created', id);
    expect(created.every((f) => (f.message as { seq: number }).seq === f.seq)).toBe(true);

    // A resend of a clientId answers the stored message and makes no event.
    const again = await ann1.request({ type: 'send', conversationId: id, clientId: 'c1', text: 'from 0: 0' });
    expect((again.message as { seq: number }).seq).toBe((answered[0]!.message as { seq: number }).seq);
    await say(ann1, id, 'after the resend');
    for (const s of sockets) await until(() => s.seqs(id).length === 61, 'the next message');
    for (const s of sockets) expect(s.seqs(id)).toEqual(upTo(61));
  });

  it('replays exactly what a reconnecting client missed, then live events, nothing twice', async () => {
    const id = await direct('ann', 'ben');
    const ann = await connect('ann');
    let ben = await connect('ben');
    for (let i = 1; i <= 3; i++) await say(ann, id, `before ${i}`);
    await until(() => ben.seqs(id).length === 3, 'the first three');
    ben.close();
    await ben.closed;
    // While ben is away: new messages, an edit of #2 and a deletion of #3.
    for (let i = 4; i <= 8; i++) await say(ann, id, `while away ${i}`);
    await ann.request({ type: 'edit', conversationId: id, seq: 2, text: 'before 2, edited' });
    await ann.request({ type: 'delete', conversationId: id, seq: 3 });
    ben = await connect('ben');
    // The first frame a reconnecting client sends; live messages then race the replay.
    ben.send({ type: 'resume', ref: 'back', conversations: { [id]: 3 } });
    const live = (async () => {
      for (let i = 11; i <= 20; i++) await say(ann, id, `live ${i}`);
    })();
    const resumed = await ben.next((f) => f.type === 'resumed' && f.ref === 'back');
    await live;
    await until(() => ben.seqs(id).at(-1) === 20, 'the live messages after the replay');
    expect(ben.seqs(id)).toEqual(upTo(20, 4));
    expect((resumed.conversations as Record<string, number>)[id]).toBeGreaterThanOrEqual(10);
    const edited = ben.of('message.edited', id)[0]!;
    expect(edited).toMatchObject({ seq: 9, message: { seq: 2, versionSeq: 9, text: 'before 2, edited' } });
    expect(ben.of('message.deleted', id)[0]).toMatchObject({ seq: 10, message: { seq: 3, deleted: true, text: '' } });
    // The replay came before the resumed frame, the live tail after or around it, never twice.
    const resumedAt = ben.frames.indexOf(resumed);
    expect(ben.frames.slice(0, resumedAt).filter((f) => f.type.startsWith('message.')).map((f) => f.seq)).toEqual(expect.arrayContaining(upTo(10, 4)));
  });

  it('brings edits and deletions to every member, and refuses them to others', async () => {
    const id = await group('ann', ['ben', 'cat']);
    const [ann, ben, cat] = [await connect('ann'), await connect('ben'), await connect('cat')];
    const { message } = await say(ann, id, 'first draft');
    const seq = (message as { seq: number }).seq;
    const edit = await ann.request({ type: 'edit', conversationId: id, seq, text: 'second draft' });
    expect(edit.message).toMatchObject({ seq, text: 'second draft', editedAt: expect.any(String) });
    await expect(ben.request({ type: 'edit', conversationId: id, seq, text: 'hijack' })).rejects.toMatchObject({ frame: { code: 'not_allowed' } });
    await expect(ben.request({ type: 'delete', conversationId: id, seq })).rejects.toMatchObject({ frame: { code: 'not_allowed' } });
    await ann.request({ type: 'delete', conversationId: id, seq });
    for (const s of [ann, ben, cat]) {
      await until(() => s.of('message.deleted', id).length === 1, 'the deletion');
      expect(s.of('message.edited', id)).toEqual([expect.objectContaining({ seq: seq + 1, message: expect.objectContaining({ text: 'second draft' }) })]);
      expect(s.of('message.deleted', id)).toEqual([expect.objectContaining({ seq: seq + 2, message: expect.objectContaining({ deleted: true, text: '' }) })]);
    }
  });

  it('sends delivery and read receipts to the members', async () => {
    const id = await direct('cat', 'dan');
    const [cat, dan] = [await connect('cat'), await connect('dan')];
    await say(cat, id, 'one');
    await say(cat, id, 'two');
    await dan.request({ type: 'delivered', conversationId: id, seq: 2 });
    const read = await dan.request({ type: 'read', conversationId: id, seq: 1 });
    expect(read.readSeq).toBe(1);
    const receipt = await cat.next((f) => f.type === 'receipt' && f.conversationId === id && f.readSeq === 1);
    expect(receipt).toMatchObject({ user: { username: 'dan' }, deliveredSeq: 2, readSeq: 1 });
    // Monotonic: a lower read mark changes nothing.
    expect((await dan.request({ type: 'read', conversationId: id, seq: 0 })).readSeq).toBe(1);
  });

  it('relays typing to the other members at most once per 3 s, never across a block', async () => {
    const id = await group('eve', ['ann', 'ben', 'cat']);
    await api('cat', 'PUT', '/api/v1/chat/blocks/eve');
    const [eve, ann, ben, cat] = [await connect('eve'), await connect('ann'), await connect('ben'), await connect('cat')];
    for (let i = 0; i < 3; i++) await eve.request({ type: 'typing', conversationId: id });
    // A message after the indicators arrives after them (one route, in order).
    await say(ann, id, 'marker');
    for (const s of [ann, ben, cat]) await until(() => s.of('message.created', id).length === 1, 'the marker');
    for (const s of [ann, ben]) expect(s.of('typing', id)).toEqual([{ type: 'typing', conversationId: id, user: expect.objectContaining({ username: 'eve' }) }]);
    expect(cat.of('typing', id)).toEqual([]);
    expect(eve.of('typing', id)).toEqual([]);
    await expect(ben.request({ type: 'typing', conversationId: await direct('ann', 'cat') })).rejects.toMatchObject({ frame: { code: 'conversation_not_found' } });
  });

  it('refuses what a non-member asks, and messages across a block', async () => {
    const id = await group('ann', ['ben']);
    const dan = await connect('dan');
    await expect(say(dan, id, 'let me in')).rejects.toMatchObject({ frame: { code: 'conversation_not_found' } });
    await expect(dan.request({ type: 'read', conversationId: id, seq: 1 })).rejects.toMatchObject({ frame: { code: 'conversation_not_found' } });
    // A resume names the conversations it could not resume and leaves them out.
    const mine = await direct('dan', 'eve');
    dan.send({ type: 'resume', ref: 'r-mixed', conversations: { [id]: 0, [mine]: 0 } });
    const resumed = await dan.next((f) => f.type === 'resumed' && f.ref === 'r-mixed');
    expect(resumed.conversations).toEqual({ [mine]: 0 });
    expect(dan.frames.find((f) => f.type === 'error' && f.ref === 'r-mixed')).toMatchObject({ code: 'conversation_not_found', conversationId: id });
    // Nothing of that group reaches a non-member.
    const ann = await connect('ann');
    await say(ann, id, 'members only');
    await say(dan, mine, 'marker');
    await until(() => dan.seqs(mine).length === 1, 'the marker');
    expect(dan.seqs(id)).toEqual([]);

    const pair = await direct('ben', 'eve');
    const [ben, eve] = [await connect('ben'), await connect('eve')];
    await api('eve', 'PUT', '/api/v1/chat/blocks/ben');
    await expect(say(ben, pair, 'hello?')).rejects.toMatchObject({ frame: { code: 'blocked' } });
    await expect(say(eve, pair, 'and back?')).rejects.toMatchObject({ frame: { code: 'blocked' } });
    await api('eve', 'DELETE', '/api/v1/chat/blocks/ben');
    await say(ben, pair, 'hello again');
    await until(() => eve.seqs(pair).length === 1, 'the message after the unblock');
  });

  it('tells a member added while connected, who then gets the messages from there on; removed, nothing more', async () => {
    const id = await group('ann', ['ben']);
    const [ann, dan] = [await connect('ann'), await connect('dan')];
    await say(ann, id, 'before dan');
    await api('ann', 'POST', `/api/v1/conversations/${id}/members`, { usernames: ['dan'] });
    const added = await dan.next((f) => f.type === 'conversation.updated' && (f.conversation as { id: string }).id === id);
    expect(added.conversation).toMatchObject({ id, lastSeq: 1, members: 3 });
    for (let i = 0; i < 3; i++) await say(ann, id, `after dan ${i}`);
    await until(() => dan.seqs(id).length === 3, 'the messages after dan joined');
    expect(dan.seqs(id)).toEqual([2, 3, 4]);
    await api('ann', 'DELETE', `/api/v1/conversations/${id}/members/dan`);
    await dan.next((f) => f.type === 'conversation.removed' && f.conversationId === id);
    await say(ann, id, 'after dan left');
    // A marker in another conversation of dan's shows the group's message would have arrived by now.
    const other = await direct('ann', 'dan');
    await say(ann, other, 'marker');
    await until(() => dan.seqs(other).length === 1, 'the marker');
    expect(dan.seqs(id)).toEqual([2, 3, 4]);
  });
});
