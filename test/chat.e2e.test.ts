import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DIALECTS, type TestDatabase } from '../src/platform/sql/testing/test-databases.js';
import { SERVICES } from './helpers/services.js';
import { startTestApp, waitFor, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

/**
 * The chat's HTTP API through the real runtime, on SQLite (embedded) and on PostgreSQL (the real
 * server, a schema of its own): ordering under concurrent senders, idempotent resends, tombstones,
 * paging both ways, unread counts, roles, blocks, limits. The WebSocket side has its own tests
 * (chat-socket*.test.ts).
 */

interface User {
  name: string;
  token: string;
  userId: string;
}
interface Message {
  id: string;
  seq: number;
  versionSeq: number;
  text: string;
  deleted: boolean;
  clientId: string;
  author: { username: string };
  mentions: string[];
  replyTo: number | null;
  editedAt: string | null;
}
interface Conversation {
  id: string;
  kind: string;
  title: string | null;
  lastSeq: number;
  members: { user: { username: string }; role: string; readSeq: number }[];
}
interface Summary {
  id: string;
  unread: number;
  readSeq: number;
  lastSeq: number;
  lastMessage: Message | null;
  peer?: { username: string };
}

let t: TestApp;

async function call(user: User | null, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object) {
  const res = await t.runtime.app.inject({ method, url, ...(user === null ? {} : { headers: bearer(user.token) }), ...(payload === undefined ? {} : { payload }) });
  return { status: res.statusCode, body: (res.body === '' ? null : res.json()) as Record<string, unknown> & { code?: string }, headers: res.headers };
}

async function group(owner: User, title: string, members: User[]): Promise<Conversation> {
  const res = await call(owner, 'POST', '/api/v1/conversations', { kind: 'group', title, members: members.map((m) => m.name) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as unknown as Conversation;
}

let clientIds = 0;
async function send(user: User, conversationId: string, text: string, clientId = `c${++clientIds}`) {
  return call(user, 'POST', `/api/v1/conversations/${conversationId}/messages`, { text, clientId });
}

async function history(user: User, conversationId: string, query = '') {
  const res = await call(user, 'GET', `/api/v1/conversations/${conversationId}/messages${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as unknown as { items: Message[]; hasMore: boolean };
}

async function summaries(user: User): Promise<Summary[]> {
  const res = await call(user, 'GET', '/api/v1/conversations?limit=100');
  expect(res.status).toBe(200);
  return (res.body as unknown as { items: Summary[] }).items;
}

async function summaryOf(user: User, conversationId: string): Promise<Summary> {
  const found = (await summaries(user)).find((s) => s.id === conversationId);
  expect(found).toBeDefined();
  return found!;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

for (const dialect of TEST_DIALECTS) describe.runIf(dialect.available)(`chat over HTTP (${dialect.name})`, () => {
  let alice: User, bob: User, carol: User, dave: User, erin: User;
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = dialect.name === 'postgres' ? await dialect.create() : undefined;
    const where: Record<string, string> = database === undefined ? {} : { DATABASE_URL: SERVICES.postgres, DATABASE_SCHEMA: database.address.slice('postgres:'.length) };
    t = await startTestApp({ RATE_LIMIT_AUTH: 'off', CHAT_SEND_RATE_LIMIT: 'off', PASSWORD_HASH_MEMORY_KIB: '8192', ...where });
    const users: User[] = [];
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin']) users.push({ name, ...(await signUp(t, name)) });
    [alice, bob, carol, dave, erin] = users as [User, User, User, User, User];
  });
  afterAll(async () => {
    await t?.close();
    await database?.dispose();
  });

  it('asks for a token', async () => {
    expect((await call(null, 'GET', '/api/v1/conversations')).status).toBe(401);
  });

  it('keeps one direct conversation per pair, whoever starts it', async () => {
    const first = await call(alice, 'POST', '/api/v1/conversations', { kind: 'direct', with: 'bob' });
    expect(first.status).toBe(201);
    expect(first.headers.location).toBe(`/api/v1/conversations/${String(first.body.id)}`);
    const again = await call(bob, 'POST', '/api/v1/conversations', { kind: 'direct', with: 'ALICE' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect((first.body as unknown as Conversation).members.map((m) => [m.user.username, m.role])).toEqual([
      ['alice', 'owner'],
      ['bob', 'member'],
    ]);
    const self = await call(alice, 'POST', '/api/v1/conversations', { kind: 'direct', with: 'alice' });
    expect([self.status, self.body.code]).toEqual([400, 'bad_request']);
    const nobody = await call(alice, 'POST', '/api/v1/conversations', { kind: 'direct', with: 'nobody_here' });
    expect([nobody.status, nobody.body.code]).toEqual([404, 'user_not_found']);
    const summary = await summaryOf(bob, String(first.body.id));
    expect(summary.peer?.username).toBe('alice');
  });

  it('gives every member the same order: concurrent senders get seqs 1..N without gaps or repeats', async () => {
    const room = await group(alice, 'order', [bob, carol]);
    const senders = [alice, bob, carol];
    const perSender = 25;
    const results = await Promise.all(senders.flatMap((u) => range(1, perSender).map((i) => send(u, room.id, `${u.name} ${i}`))));
    expect(results.every((r) => r.status === 201)).toBe(true);
    const total = senders.length * perSender;
    const views = await Promise.all(senders.map((u) => history(u, room.id, '?after=0&limit=200')));
    for (const view of views) {
      expect(view.items.map((m) => m.seq)).toEqual(range(1, total));
      expect(view.hasMore).toBe(false);
    }
    // Same message at the same seq for everyone.
    expect(views[1]!.items.map((m) => m.id)).toEqual(views[0]!.items.map((m) => m.id));
    expect(views[2]!.items.map((m) => m.id)).toEqual(views[0]!.items.map((m) => m.id));
    // Each answer's seq is the one stored.
    expect(new Set(results.map((r) => r.body.seq)).size).toBe(total);
    // A sender's sequential messages keep their order.
    const mine = views[0]!.items.filter((m) => m.author.username === 'bob').map((m) => Number(m.text.split(' ')[1]));
    expect(mine.length).toBe(perSender);
    const conversation = await call(carol, 'GET', `/api/v1/conversations/${room.id}`);
    expect(conversation.body.lastSeq).toBe(total);
  });

  it('stores a resend of a clientId once, even when the copies race', async () => {
    const room = await group(alice, 'resend', [bob]);
    const first = await send(bob, room.id, 'once', 'retry-1');
    expect(first.status).toBe(201);
    const again = await send(bob, room.id, 'once (resent)', 'retry-1');
    expect(again.status).toBe(200);
    expect([again.body.id, again.body.seq, again.body.text]).toEqual([first.body.id, first.body.seq, 'once']);
    const racing = await Promise.all(range(1, 8).map(() => send(alice, room.id, 'racing', 'race-1')));
    expect(racing.filter((r) => r.status === 201)).toHaveLength(1);
    expect(racing.filter((r) => r.status === 200)).toHaveLength(7);
    expect(new Set(racing.map((r) => r.body.id)).size).toBe(1);
    // Another author may use the same client id: it is theirs.
    expect((await send(bob, room.id, 'mine', 'race-1')).status).toBe(201);
    const { items } = await history(alice, room.id);
    expect(items.map((m) => [m.seq, m.text])).toEqual([
      [1, 'once'],
      [2, 'racing'],
      [3, 'mine'],
    ]);
  });

  it('edits and deletes as tombstones with a new versionSeq, by the allowed people only', async () => {
    const room = await group(alice, 'edits', [bob, carol]);
    await send(bob, room.id, 'hello @carol and @nobody_at_all');
    const original = await send(bob, room.id, 'typo', 'e-2');
    expect(original.body.seq).toBe(2);
    const edited = await call(bob, 'PATCH', `/api/v1/conversations/${room.id}/messages/2`, { text: 'fixed' });
    expect(edited.status).toBe(200);
    expect([edited.body.seq, edited.body.versionSeq, edited.body.text, typeof edited.body.editedAt]).toEqual([2, 3, 'fixed', 'string']);
    expect((await call(carol, 'PATCH', `/api/v1/conversations/${room.id}/messages/2`, { text: 'mine now' })).body.code).toBe('not_allowed');
    // Another member may not delete bob's message; bob may, and the owner may delete anyone's.
    const byCarol = await call(carol, 'DELETE', `/api/v1/conversations/${room.id}/messages/2`);
    expect([byCarol.status, byCarol.body.code]).toEqual([403, 'not_allowed']);
    expect((await call(bob, 'DELETE', `/api/v1/conversations/${room.id}/messages/2`)).status).toBe(204);
    // A retried delete changes nothing.
    expect((await call(bob, 'DELETE', `/api/v1/conversations/${room.id}/messages/2`)).status).toBe(204);
    expect((await call(alice, 'DELETE', `/api/v1/conversations/${room.id}/messages/1`)).status).toBe(204);
    const { items } = await history(carol, room.id);
    expect(items.map((m) => [m.seq, m.versionSeq, m.deleted, m.text])).toEqual([
      [1, 5, true, ''],
      [2, 4, true, ''],
    ]);
    expect((await call(bob, 'PATCH', `/api/v1/conversations/${room.id}/messages/2`, { text: 'back' })).body.code).toBe('message_not_found');
    expect((await call(bob, 'PATCH', `/api/v1/conversations/${room.id}/messages/99`, { text: 'x' })).status).toBe(404);
    const conversation = await call(alice, 'GET', `/api/v1/conversations/${room.id}`);
    expect(conversation.body.lastSeq).toBe(5);
  });

  it('resolves mentions of members and replies to messages it has', async () => {
    const room = await group(alice, 'mentions', [bob, carol]);
    const first = await send(alice, room.id, 'hi @Bob, @dave is not here, and @alice is me');
    expect(first.body.mentions).toEqual(['bob']);
    const reply = await call(bob, 'POST', `/api/v1/conversations/${room.id}/messages`, { text: 'hi', clientId: 'r1', replyTo: 1 });
    expect([reply.status, reply.body.replyTo]).toEqual([201, 1]);
    const bad = await call(bob, 'POST', `/api/v1/conversations/${room.id}/messages`, { text: 'hi', clientId: 'r2', replyTo: 40 });
    expect([bad.status, bad.body.code]).toEqual([400, 'reply_to_invalid']);
  });

  it('pages history both ways without gaps or repeats', async () => {
    const room = await group(alice, 'paging', [bob]);
    for (const i of range(1, 25)) await send(i % 2 === 0 ? alice : bob, room.id, `m${i}`);
    const latest = await history(bob, room.id, '?limit=10');
    expect([latest.items.map((m) => m.seq), latest.hasMore]).toEqual([range(16, 25), true]);
    const older = await history(bob, room.id, '?before=16&limit=10');
    expect([older.items.map((m) => m.seq), older.hasMore]).toEqual([range(6, 15), true]);
    const oldest = await history(bob, room.id, '?before=6&limit=10');
    expect([oldest.items.map((m) => m.seq), oldest.hasMore]).toEqual([range(1, 5), false]);
    const seen: number[] = [];
    let after = 0;
    for (let page = 0; page < 10; page++) {
      const next = await history(alice, room.id, `?after=${after}&limit=7`);
      seen.push(...next.items.map((m) => m.seq));
      if (!next.hasMore) break;
      after = next.items.at(-1)!.seq;
    }
    expect(seen).toEqual(range(1, 25));
    const both = await call(alice, 'GET', `/api/v1/conversations/${room.id}/messages?before=5&after=1`);
    expect([both.status, both.body.code]).toEqual([400, 'bad_request']);
    expect((await call(alice, 'GET', `/api/v1/conversations/${room.id}/messages?limit=201`)).status).toBe(400);
  });

  it('counts unread messages per member and moves read marks up only', async () => {
    const room = await group(carol, 'unread', [dave]);
    for (const i of range(1, 3)) await send(carol, room.id, `news ${i}`);
    await send(dave, room.id, 'mine');
    expect((await summaryOf(dave, room.id)).unread).toBe(3);
    expect((await summaryOf(carol, room.id)).unread).toBe(1);
    const read = await call(dave, 'POST', `/api/v1/conversations/${room.id}/read`, { seq: 2 });
    expect(read.body).toEqual({ readSeq: 2, unread: 1 });
    const lower = await call(dave, 'POST', `/api/v1/conversations/${room.id}/read`, { seq: 1 });
    expect(lower.body).toEqual({ readSeq: 2, unread: 1 });
    // A deleted message is not unread; a read mark past the end stops at the last seq.
    await call(carol, 'DELETE', `/api/v1/conversations/${room.id}/messages/3`);
    expect((await summaryOf(dave, room.id)).unread).toBe(0);
    const past = await call(dave, 'POST', `/api/v1/conversations/${room.id}/read`, { seq: 1_000 });
    expect(past.body).toEqual({ readSeq: 5, unread: 0 });
    const summary = await summaryOf(dave, room.id);
    expect([summary.readSeq, summary.lastMessage?.text]).toEqual([5, 'mine']);
    const members = (await call(carol, 'GET', `/api/v1/conversations/${room.id}`)).body as unknown as Conversation;
    expect(members.members.find((m) => m.user.username === 'dave')?.readSeq).toBe(5);
  });

  it('lists conversations by latest activity, paged by cursor', async () => {
    const rooms = [await group(erin, 'one', []), await group(erin, 'two', []), await group(erin, 'three', [])];
    // Activity is kept in milliseconds and ties go by id: the bump must come a tick after "three" was
    // made for "one" to lead (rooms made in one millisecond already list newest id first).
    const made = Date.now();
    await waitFor(() => Date.now() > made);
    await send(erin, rooms[0]!.id, 'bump');
    const first = await call(erin, 'GET', '/api/v1/conversations?limit=2');
    const page1 = first.body as unknown as { items: Summary[]; nextCursor: string };
    expect(page1.items.map((s) => s.id)).toEqual([rooms[0]!.id, rooms[2]!.id]);
    const page2 = (await call(erin, 'GET', `/api/v1/conversations?limit=2&cursor=${page1.nextCursor}`)).body as unknown as { items: Summary[]; nextCursor: string | null };
    expect([page2.items.map((s) => s.id), page2.nextCursor]).toEqual([[rooms[1]!.id], null]);
    expect((await call(erin, 'GET', '/api/v1/conversations?cursor=nope')).body.code).toBe('cursor_invalid');
  });

  it('checks roles: non-members see nothing, members remove nobody, the owner hands over on leaving', async () => {
    const room = await group(alice, 'roles', [bob, carol, dave]);
    for (const [method, url, body] of [
      ['GET', `/api/v1/conversations/${room.id}`, undefined],
      ['GET', `/api/v1/conversations/${room.id}/messages`, undefined],
      ['POST', `/api/v1/conversations/${room.id}/messages`, { text: 'let me in', clientId: 'x' }],
      ['POST', `/api/v1/conversations/${room.id}/read`, { seq: 1 }],
      ['PATCH', `/api/v1/conversations/${room.id}`, { title: 'mine' }],
    ] as const) {
      const res = await call(erin, method, url, body);
      expect([res.status, res.body.code], `${method} ${url}`).toEqual([404, 'conversation_not_found']);
    }
    expect((await call(erin, 'GET', '/api/v1/conversations/123')).body.code).toBe('conversation_not_found');
    expect((await call(erin, 'GET', '/api/v1/conversations/abc')).status).toBe(400);

    expect((await call(bob, 'DELETE', `/api/v1/conversations/${room.id}/members/carol`)).body.code).toBe('not_allowed');
    expect((await call(bob, 'PATCH', `/api/v1/conversations/${room.id}`, { title: 'bob’s' })).body.code).toBe('not_allowed');
    expect((await call(bob, 'POST', `/api/v1/conversations/${room.id}/members`, { usernames: ['erin'] })).body.code).toBe('not_allowed');
    expect((await call(bob, 'PATCH', `/api/v1/conversations/${room.id}/members/carol`, { role: 'admin' })).body.code).toBe('not_allowed');

    // The owner makes carol an admin; an admin renames, adds, and removes members but not admins or the owner.
    expect((await call(alice, 'PATCH', `/api/v1/conversations/${room.id}/members/carol`, { role: 'admin' })).status).toBe(200);
    expect((await call(carol, 'PATCH', `/api/v1/conversations/${room.id}`, { title: 'renamed' })).body.title).toBe('renamed');
    expect((await call(carol, 'POST', `/api/v1/conversations/${room.id}/members`, { usernames: ['erin'] })).status).toBe(200);
    expect((await call(carol, 'DELETE', `/api/v1/conversations/${room.id}/members/alice`)).body.code).toBe('not_allowed');
    expect((await call(carol, 'DELETE', `/api/v1/conversations/${room.id}/members/dave`)).status).toBe(204);
    expect((await call(dave, 'GET', `/api/v1/conversations/${room.id}`)).status).toBe(404);
    expect((await call(carol, 'DELETE', `/api/v1/conversations/${room.id}/members/dave`)).body.code).toBe('member_not_found');

    // The owner leaves: the oldest admin (carol, though bob joined as early) takes over.
    expect((await call(alice, 'DELETE', `/api/v1/conversations/${room.id}/members/alice`)).status).toBe(204);
    const after = (await call(bob, 'GET', `/api/v1/conversations/${room.id}`)).body as unknown as Conversation;
    expect(after.members.map((m) => [m.user.username, m.role])).toEqual([
      ['bob', 'member'],
      ['carol', 'owner'],
      ['erin', 'member'],
    ]);
    expect((await summaries(alice)).some((s) => s.id === room.id)).toBe(false);
    // With no admin left, the next owner is the oldest member.
    expect((await call(carol, 'DELETE', `/api/v1/conversations/${room.id}/members/carol`)).status).toBe(204);
    const last = (await call(bob, 'GET', `/api/v1/conversations/${room.id}`)).body as unknown as Conversation;
    expect(last.members.map((m) => [m.user.username, m.role])).toEqual([
      ['bob', 'owner'],
      ['erin', 'member'],
    ]);
  });

  it('shows newcomers only what was said after they joined', async () => {
    const room = await group(alice, 'late', [bob]);
    await send(alice, room.id, 'before erin');
    await call(alice, 'POST', `/api/v1/conversations/${room.id}/members`, { usernames: ['erin'] });
    await send(bob, room.id, 'after erin');
    expect((await history(erin, room.id)).items.map((m) => m.text)).toEqual(['after erin']);
    expect((await summaryOf(erin, room.id)).unread).toBe(1);
  });

  it('stops direct messages across a block, both ways, until it is lifted', async () => {
    const direct = (await call(carol, 'POST', '/api/v1/conversations', { kind: 'direct', with: 'erin' })).body as unknown as Conversation;
    expect((await send(carol, direct.id, 'hi')).status).toBe(201);
    expect((await call(erin, 'PUT', '/api/v1/chat/blocks/carol')).body).toEqual({ blocked: true });
    expect((await call(erin, 'PUT', '/api/v1/chat/blocks/carol')).body).toEqual({ blocked: true });
    for (const [from, text] of [[carol, 'hello?'], [erin, 'bye']] as const) {
      const res = await send(from, direct.id, text);
      expect([res.status, res.body.code]).toEqual([403, 'blocked']);
    }
    expect((await call(erin, 'GET', '/api/v1/chat/blocks')).body).toEqual({ items: [expect.objectContaining({ username: 'carol' })] });
    expect((await call(carol, 'POST', '/api/v1/conversations', { kind: 'group', title: 'x', members: ['erin'] })).body.code).toBe('blocked');
    expect((await call(dave, 'PUT', '/api/v1/chat/blocks/dave')).status).toBe(400);
    expect((await call(dave, 'PUT', '/api/v1/chat/blocks/nobody_here')).status).toBe(404);
    expect((await call(erin, 'DELETE', '/api/v1/chat/blocks/carol')).body).toEqual({ blocked: false });
    expect((await send(carol, direct.id, 'back')).status).toBe(201);
    expect((await call(erin, 'GET', '/api/v1/chat/blocks')).body).toEqual({ items: [] });
  });

  it('notifies offline members once per conversation until they read it', async () => {
    // No socket layer in this test: every member counts as offline.
    const room = await group(bob, 'notify', [dave]);
    const chatNotes = async (user: User) => {
      const res = await call(user, 'GET', '/api/v1/notifications?limit=100');
      return (res.body.items as { kind: string; conversationId?: string; actor: { username: string } }[]).filter((n) => n.conversationId === room.id);
    };
    for (const i of range(1, 3)) await send(bob, room.id, `note ${i}`);
    expect(await waitFor(async () => (await chatNotes(dave)).length === 1)).toBe(true);
    expect((await chatNotes(dave))[0]).toMatchObject({ kind: 'chat_message', actor: { username: 'bob' } });
    expect(await chatNotes(bob)).toEqual([]);
    await call(dave, 'POST', `/api/v1/conversations/${room.id}/read`, { seq: 3 });
    expect(await waitFor(async () => (await chatNotes(dave)).length === 0)).toBe(true);
    await send(bob, room.id, 'note 4');
    expect(await waitFor(async () => (await chatNotes(dave)).length === 1)).toBe(true);
  });

  it('refuses a 4,001 code point message with a 400 problem and takes 4,000 emoji', async () => {
    const room = await group(alice, 'long', [bob]);
    const tooLong = await send(alice, room.id, 'a'.repeat(4_001));
    expect(tooLong.status).toBe(400);
    expect(tooLong.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(tooLong.body.code).toBe('text_too_long');
    const emoji = await send(alice, room.id, '😀'.repeat(4_000));
    expect(emoji.status).toBe(201);
    const blank = await send(alice, room.id, ' \n ');
    expect([blank.status, blank.body.code]).toEqual([400, 'text_empty']);
    const control = await send(alice, room.id, 'bad \u202e text');
    expect([control.status, control.body.code]).toEqual([400, 'text_invalid']);
    const badClient = await call(alice, 'POST', `/api/v1/conversations/${room.id}/messages`, { text: 'x', clientId: 'no spaces' });
    expect(badClient.status).toBe(400);
    const extra = await call(alice, 'POST', `/api/v1/conversations/${room.id}/messages`, { text: 'x', clientId: 'ok', admin: true });
    expect(extra.status).toBe(400);
  });
});

describe('chat send limit', () => {
  let alice: User, bob: User;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_AUTH: 'off', CHAT_SEND_RATE_LIMIT: 'fixed-window 5/1m' });
    alice = { name: 'alice', ...(await signUp(t, 'alice')) };
    bob = { name: 'bob', ...(await signUp(t, 'bob')) };
  });
  afterAll(() => t?.close());

  it('refuses sends past the per-user limit with 429 and Retry-After, but not resends', async () => {
    const room = await group(alice, 'limited', [bob]);
    for (const i of range(1, 5)) expect((await send(alice, room.id, `m${i}`, `l${i}`)).status).toBe(201);
    const refused = await send(alice, room.id, 'one too many', 'l6');
    expect([refused.status, refused.body.code]).toEqual([429, 'rate_limited']);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body.retryAfter).toBe(Number(refused.headers['retry-after']));
    // The limit is per user, and a resend of a stored message is not a new send.
    expect((await send(alice, room.id, 'm1', 'l1')).status).toBe(200);
    expect((await send(bob, room.id, 'my turn')).status).toBe(201);
  });
});
