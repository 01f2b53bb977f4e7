import { afterEach, beforeEach, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock/index.js';
import { MemoryRateLimitStore } from '../../platform/ratelimit/index.js';
import type { SqlDatabase } from '../../platform/sql/index.js';
import { describeEachDialect } from '../../platform/sql/testing/test-databases.js';
import type { PublicUser, UserDirectory } from '../accounts/index.js';
import { chatMigrations } from './chat.migrations.js';
import type { ChatEvent, ChatEventSink, ChatNotifier } from './chat.model.js';
import { ChatRepository } from './chat.repository.js';
import { ChatServiceImpl } from './chat.service.js';
import type { ChatTables } from './chat.tables.js';
import { ChatUsers } from './chat.views.js';

/** The accounts' directory over a fixed list (the chat only reads names and ids). */
function directoryOf(users: readonly PublicUser[]): Pick<UserDirectory, 'byIds' | 'byUsername'> {
  return {
    byUsername: async (name) => users.find((u) => u.username === name.toLowerCase()) ?? null,
    byIds: async (ids) => new Map(users.filter((u) => ids.includes(u.id)).map((u) => [u.id, u])),
  };
}

type MessageEvent = Extract<ChatEvent, { message: unknown }>;
type EventOf<T extends ChatEvent['type']> = T extends MessageEvent['type'] ? MessageEvent : Extract<ChatEvent, { type: T }>;

/** A sink that records what it is given, and says who is offline. */
class RecordingSink implements ChatEventSink {
  readonly events: { recipients: readonly string[]; event: ChatEvent }[] = [];
  online = new Set<string>();
  publish(recipients: readonly string[], event: ChatEvent): void {
    this.events.push({ recipients: [...recipients].sort(), event });
  }
  async offlineAmong(ids: readonly string[]) {
    return ids.filter((id) => !this.online.has(id));
  }
  of<T extends ChatEvent['type']>(type: T) {
    return this.events.filter((e) => e.event.type === type) as { recipients: readonly string[]; event: EventOf<T> }[];
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describeEachDialect('chat service', (dialect) => {
  let db: SqlDatabase<ChatTables>;
  let service: ChatServiceImpl;
  let sink: RecordingSink;
  let clock: ManualClock;
  let notified: { recipients: readonly string[]; conversationId: string }[];
  let readBy: string[];
  // Ids that cross a digit boundary (9 → 10), as snowflakes never do but text order would trip on.
  let next: bigint;
  const users = range(1, 600).map((i) => ({ id: String(1_000 + i), username: `user${i}`, createdAt: 0 }));
  const [alice, bob, carol, dave] = users as [PublicUser, PublicUser, PublicUser, PublicUser];

  beforeEach(async () => {
    db = await dialect.open<ChatTables>();
    await db.migrate(chatMigrations(db.dialect));
    sink = new RecordingSink();
    clock = new ManualClock();
    notified = [];
    readBy = [];
    next = 9n;
    const notifier: ChatNotifier = {
      messageSent: async (recipients, conversationId) => void notified.push({ recipients: [...recipients].sort(), conversationId }),
      conversationRead: async (userId) => void readBy.push(userId),
    };
    service = new ChatServiceImpl({
      repository: new ChatRepository(db),
      users: new ChatUsers(directoryOf(users)),
      clock,
      ids: { next: () => next++ },
      events: sink,
      sendLimit: { store: new MemoryRateLimitStore({ clock }), rule: { algorithm: 'fixed-window', limit: 1_000, windowMs: 60_000 } },
      notifier,
      onError: (error) => {
        throw error;
      },
    });
  });
  afterEach(() => db.close());

  const groupOf = async (owner: PublicUser, members: PublicUser[]) => service.createGroup(owner.id, { title: 'room', members: members.map((m) => m.username) });

  it('numbers concurrent sends 1..N in one order, with one event each in that order', async () => {
    const room = await groupOf(alice, [bob, carol]);
    const senders = [alice, bob, carol];
    const sent = await Promise.all(senders.flatMap((u) => range(1, 20).map((i) => service.send(u.id, room.id, { clientId: `${u.username}-${i}`, text: `${u.username} ${i}` }))));
    expect(sent.every((s) => s.created)).toBe(true);
    expect(sent.map((s) => s.message.seq).sort((a, b) => a - b)).toEqual(range(1, 60));
    const page = await service.history(carol.id, room.id, { after: 0, limit: 100 });
    expect(page.items.map((m) => m.seq)).toEqual(range(1, 60));
    const created = sink.of('message.created');
    expect(created.map((e) => e.event.seq).sort((a, b) => a - b)).toEqual(range(1, 60));
    expect(created.every((e) => e.recipients.join() === [alice.id, bob.id, carol.id].sort().join())).toBe(true);
    if (dialect.name === 'sqlite') expect(created.map((e) => e.event.seq)).toEqual(range(1, 60));
  });

  it('stores a clientId once when its copies race, and costs no seq for the losers', async () => {
    const room = await groupOf(alice, [bob]);
    const copies = await Promise.all(range(1, 10).map(() => service.send(bob.id, room.id, { clientId: 'same', text: 'once' })));
    expect(copies.filter((c) => c.created)).toHaveLength(1);
    expect(new Set(copies.map((c) => c.message.id)).size).toBe(1);
    const after = await service.send(alice.id, room.id, { clientId: 'next', text: 'next' });
    expect(after.message.seq).toBe(2);
    expect(sink.of('message.created')).toHaveLength(2);
  });

  /** A second service on the same database: another process. */
  const another = () =>
    new ChatServiceImpl({ repository: new ChatRepository(db), users: new ChatUsers(directoryOf(users)), clock, ids: { next: () => next++ }, events: new RecordingSink() });

  it('stores a clientId once when two processes race with it, without a gap in the seqs', async () => {
    const room = await groupOf(alice, [bob]);
    const other = another();
    for (let round = 1; round <= 5; round++) {
      const both = await Promise.all([service.send(bob.id, room.id, { clientId: `twice-${round}`, text: 'once' }), other.send(bob.id, room.id, { clientId: `twice-${round}`, text: 'once' })]);
      expect(both.filter((b) => b.created)).toHaveLength(1);
      expect(both[0].message.id).toBe(both[1].message.id);
    }
    expect((await service.history(alice.id, room.id, { after: 0, limit: 10 })).items.map((m) => m.seq)).toEqual(range(1, 5));
  });

  it('checks membership again where it stores: a member removed by another process cannot send', async () => {
    const room = await groupOf(alice, [bob, carol]);
    await service.send(carol.id, room.id, { clientId: 'before', text: 'still here' });
    await another().removeMember(alice.id, room.id, carol.username);
    // This process still has carol in its cached member list.
    expect(await service.isMember(carol.id, room.id)).toBe(true);
    await expect(service.send(carol.id, room.id, { clientId: 'after', text: 'gone?' })).rejects.toMatchObject({ code: 'conversation_not_found' });
    expect(await service.isMember(carol.id, room.id)).toBe(false);
  });

  it('replays edits and deletes as one event per message in change order (resume)', async () => {
    const room = await groupOf(alice, [bob]);
    for (const i of range(1, 4)) await service.send(alice.id, room.id, { clientId: `m${i}`, text: `m${i}` });
    await service.edit(alice.id, room.id, 2, 'm2 edited');
    await expect(service.remove(bob.id, room.id, 3)).rejects.toMatchObject({ code: 'not_allowed', status: 403 });
    await service.remove(alice.id, room.id, 3);
    const all = await service.eventsSince(bob.id, room.id, 0, 100);
    expect(all.map((e) => [e.type, e.seq, e.message.seq])).toEqual([
      ['message.created', 1, 1],
      ['message.created', 4, 4],
      ['message.created', 5, 2],
      ['message.deleted', 6, 3],
    ]);
    const since4 = await service.eventsSince(bob.id, room.id, 4, 100);
    expect(since4.map((e) => [e.type, e.seq])).toEqual([
      ['message.edited', 5],
      ['message.deleted', 6],
    ]);
    expect(await service.eventsSince(bob.id, room.id, 6, 100)).toEqual([]);
    expect((await service.eventsSince(bob.id, room.id, 0, 2)).map((e) => e.seq)).toEqual([1, 4]);
    await expect(service.eventsSince(carol.id, room.id, 0, 10)).rejects.toMatchObject({ code: 'conversation_not_found', status: 404 });
    // The live events carried the same seqs.
    expect(sink.events.flatMap((e) => ('message' in e.event ? [e.event.seq] : []))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('caps a conversation at 500 members, also when two additions race', async () => {
    await expect(groupOf(alice, users.slice(1, 501))).rejects.toMatchObject({ code: 'conversation_full', status: 409 });
    const room = await groupOf(alice, users.slice(1, 498));
    expect(room.members).toHaveLength(498);
    const racing = await Promise.allSettled([service.addMembers(alice.id, room.id, ['user499', 'user500']), service.addMembers(alice.id, room.id, ['user501', 'user502'])]);
    expect(racing.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((racing.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'conversation_full' });
    expect((await service.get(alice.id, room.id)).members).toHaveLength(500);
    expect(await service.membersOf(room.id)).toHaveLength(500);
    // Someone leaving makes room.
    await service.removeMember(alice.id, room.id, 'user2');
    expect((await service.addMembers(alice.id, room.id, ['user600'])).members).toHaveLength(500);
  });

  it('keeps members and contacts current through its own writes and blocks', async () => {
    const room = await groupOf(alice, [bob]);
    expect([...(await service.membersOf(room.id))].sort()).toEqual([alice.id, bob.id]);
    expect(await service.contactsOf(carol.id)).toEqual([]);
    await service.addMembers(alice.id, room.id, [carol.username]);
    expect([...(await service.membersOf(room.id))].sort()).toEqual([alice.id, bob.id, carol.id]);
    expect([...(await service.contactsOf(carol.id))].sort()).toEqual([alice.id, bob.id]);
    await service.block(carol.id, bob.username);
    expect(await service.blockedEitherWay(bob.id, carol.id)).toBe(true);
    expect(await service.contactsOf(carol.id)).toEqual([alice.id]);
    expect(await service.contactsOf(bob.id)).toEqual([alice.id]);
    await service.unblock(carol.id, bob.username);
    expect(await service.blockedEitherWay(carol.id, bob.id)).toBe(false);
    await service.removeMember(alice.id, room.id, carol.username);
    expect(await service.isMember(carol.id, room.id)).toBe(false);
    expect(await service.contactsOf(carol.id)).toEqual([]);
    expect(sink.of('conversation.removed').map((e) => e.recipients)).toEqual([[carol.id]]);
  });

  it('tells every member of changes, each with their own summary', async () => {
    const room = await groupOf(alice, [bob]);
    expect(sink.of('conversation.updated').map((e) => e.recipients[0]).sort()).toEqual([alice.id, bob.id]);
    await service.send(alice.id, room.id, { clientId: 'a', text: 'hello' });
    sink.events.length = 0;
    await service.rename(alice.id, room.id, 'renamed');
    const updates = sink.of('conversation.updated');
    expect(updates.map((u) => [u.recipients[0], u.event.conversation.title, u.event.conversation.unread]).sort()).toEqual([
      [alice.id, 'renamed', 0],
      [bob.id, 'renamed', 1],
    ]);
    await service.markRead(bob.id, room.id, 1);
    expect(sink.of('receipt').map((r) => [r.event.user.username, r.event.readSeq, r.event.deliveredSeq])).toEqual([['user2', 1, 1]]);
    expect(readBy).toEqual([bob.id]);
  });

  it('sends delivery receipts in direct conversations and stores them in groups', async () => {
    const { conversation: direct } = await service.createDirect(alice.id, bob.username);
    await service.send(alice.id, direct.id, { clientId: 'd', text: 'hi' });
    await service.markDelivered(bob.id, direct.id, 1);
    await service.markDelivered(bob.id, direct.id, 1);
    expect(sink.of('receipt').map((r) => [r.recipients.length, r.event.deliveredSeq, r.event.readSeq])).toEqual([[2, 1, 0]]);
    const room = await groupOf(alice, [bob]);
    await service.send(alice.id, room.id, { clientId: 'g', text: 'hi' });
    await service.markDelivered(bob.id, room.id, 5);
    expect(sink.of('receipt')).toHaveLength(1);
    expect((await service.get(alice.id, room.id)).members.find((m) => m.user.id === bob.id)?.deliveredSeq).toBe(1);
  });

  it('makes one direct conversation of a pair that starts it from both sides at once', async () => {
    const [a, b] = await Promise.all([service.createDirect(alice.id, bob.username), service.createDirect(bob.id, alice.username)]);
    expect(a.conversation.id).toBe(b.conversation.id);
    expect([a.created, b.created].filter(Boolean)).toHaveLength(1);
    expect((await service.list(alice.id, { limit: 10 })).items.map((s) => s.peer?.username)).toEqual([bob.username]);
  });

  it('notifies offline recipients only', async () => {
    const room = await groupOf(alice, [bob, carol, dave]);
    sink.online.add(carol.id);
    await service.send(alice.id, room.id, { clientId: 'n', text: 'ping' });
    await expect.poll(() => notified).toEqual([{ recipients: [bob.id, dave.id].sort(), conversationId: room.id }]);
  });

  it('limits sends per user', async () => {
    const limited = new ChatServiceImpl({
      repository: new ChatRepository(db),
      users: new ChatUsers(directoryOf(users)),
      clock,
      ids: { next: () => next++ },
      sendLimit: { store: new MemoryRateLimitStore({ clock }), rule: { algorithm: 'fixed-window', limit: 2, windowMs: 10_000 } },
    });
    const room = await limited.createGroup(alice.id, { title: 'limits', members: [bob.username] });
    await limited.send(alice.id, room.id, { clientId: '1', text: 'one' });
    await limited.send(alice.id, room.id, { clientId: '2', text: 'two' });
    await expect(limited.send(alice.id, room.id, { clientId: '3', text: 'three' })).rejects.toMatchObject({ code: 'rate_limited', status: 429, retryAfter: 10 });
    clock.advance(10_000);
    expect((await limited.send(alice.id, room.id, { clientId: '3', text: 'three' })).message.seq).toBe(3);
  });
});
