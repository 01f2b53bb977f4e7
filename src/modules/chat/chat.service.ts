import { LRUCache } from 'lru-cache';
import type { Clock } from '../../platform/clock/index.js';
import type { IdGenerator } from '../../platform/ids/index.js';
import type { RateLimitRule, RateLimitStore } from '../../platform/ratelimit/index.js';
import {
  BlockedError,
  ChatInputError,
  ChatRateLimitedError,
  ChatUserNotFoundError,
  ConversationFullError,
  ConversationNotFoundError,
  MemberNotFoundError,
  MessageNotFoundError,
  NotAllowedError,
} from './chat.errors.js';
import {
  MAX_MEMBERS,
  NO_EVENTS,
  type ChatEventSink,
  type ChatMessageEvent,
  type ChatNotifier,
  type ConversationKind,
  type ConversationSummaryView,
  type ConversationView,
  type MemberRole,
  type MessageView,
  type UserView,
} from './chat.model.js';
import type { ChatRepository, ConversationRow, MemberRow, MessageRow } from './chat.repository.js';
import { ChatAudiences } from './chat.audiences.js';
import { DeliveredMarks } from './chat.delivered.js';
import { ChatPublisher } from './chat.publisher.js';
import { SendBatcher } from './chat.send-batch.js';
import { cleanMessageText, cleanTitle, mentionedNames } from './chat.text.js';
import { conversationView, messageView, summaryView, usersOfMessage, type ChatUsers } from './chat.views.js';

export type { ChatEvent, ChatEventSink, ChatMessageEvent } from './chat.model.js';

/** The chat's operations, for the HTTP routes and the socket layer alike (docs/chat.md). */
export interface ChatService {
  /** The direct conversation with `withUsername`: created (`created`), or the existing one of the pair. */
  createDirect(userId: string, withUsername: string): Promise<{ conversation: ConversationView; created: boolean }>;
  /** A group with the caller as owner and the named users as members (at most 499 others). */
  createGroup(userId: string, input: { title: string; members: string[] }): Promise<ConversationView>;
  /** The caller's conversations, most recent activity first, with unread counts. */
  list(userId: string, page: { cursor?: string | undefined; limit: number }): Promise<{ items: ConversationSummaryView[]; nextCursor: string | null }>;
  /** One of the caller's conversations with its members; 404 for anyone else. */
  get(userId: string, conversationId: string): Promise<ConversationView>;
  /** Renames a group (owner or admin). */
  rename(userId: string, conversationId: string, title: string): Promise<ConversationView>;
  /** Adds users to a group (owner or admin), up to 500 members; members already there are left as they are. */
  addMembers(userId: string, conversationId: string, usernames: string[]): Promise<ConversationView>;
  /** The caller leaves (an owner hands over to the oldest admin, else the oldest member), or removes someone. */
  removeMember(userId: string, conversationId: string, username: string): Promise<void>;
  /** Makes a member an admin or a member again (owner only). */
  setRole(userId: string, conversationId: string, username: string, role: 'admin' | 'member'): Promise<ConversationView>;
  /** A page of messages, ascending by seq: before a seq, after one, or the latest; tombstones included so pages never skip. */
  history(userId: string, conversationId: string, q: { before?: number | undefined; after?: number | undefined; limit: number }): Promise<{ items: MessageView[]; hasMore: boolean }>;
  /** Stores a message once per clientId (`created` false on a resend, with the stored message). */
  send(userId: string, conversationId: string, input: { clientId: string; text: string; replyTo?: number | undefined }): Promise<{ message: MessageView; created: boolean }>;
  /** Edits one's own message; it keeps its seq and gets a new versionSeq. */
  edit(userId: string, conversationId: string, seq: number, text: string): Promise<MessageView>;
  /** Deletes a message (its author, or an owner/admin): a tombstone with a new versionSeq. Idempotent. */
  remove(userId: string, conversationId: string, seq: number): Promise<void>;
  /** Moves the caller's read mark up to `seq` (a lower one changes nothing). */
  markRead(userId: string, conversationId: string, seq: number): Promise<{ readSeq: number; unread: number }>;
  /** Moves the caller's delivered mark up to `seq`. */
  markDelivered(userId: string, conversationId: string, seq: number): Promise<void>;
  /** Events with seq > afterSeq, in seq order, at most `limit` (resume); throws 404 for non-members. */
  eventsSince(userId: string, conversationId: string, afterSeq: number, limit: number): Promise<ChatMessageEvent[]>;
  /**
   * Current member ids (cached, kept current by the service's own writes; other processes' writes
   * reach it through the events it publishes: call `invalidate`), at most 30 s stale otherwise.
   */
  membersOf(conversationId: string): Promise<readonly string[]>;
  /** Users who share a conversation with userId, minus blocks either way (presence audience). */
  contactsOf(userId: string): Promise<readonly string[]>;
  isMember(userId: string, conversationId: string): Promise<boolean>;
  blockedEitherWay(a: string, b: string): Promise<boolean>;
  /** Blocks a user (idempotent). */
  block(userId: string, username: string): Promise<void>;
  /** Lifts a block (idempotent). */
  unblock(userId: string, username: string): Promise<void>;
  /** Whom the caller blocked. */
  blocks(userId: string): Promise<UserView[]>;
  /** Forgets what is cached about a conversation's members (another process changed them). */
  invalidate(conversationId: string): void;
  /** Sets where events go after each commit (the socket layer's delivery). */
  attach(sink: ChatEventSink): void;
  /** Writes what is gathered in memory (group delivered marks); call at shutdown. */
  close(): Promise<void>;
}

export interface ChatServiceDeps {
  repository: ChatRepository;
  users: ChatUsers;
  clock: Clock;
  ids: IdGenerator;
  /** Where events go (default: nowhere, until `attach`). */
  events?: ChatEventSink | undefined;
  /** Per-user send limit (HTTP and socket alike); none: unlimited. */
  sendLimit?: { store: RateLimitStore; rule: RateLimitRule } | undefined;
  /** Notifies offline members of new messages. */
  notifier?: ChatNotifier | undefined;
  /** Failures after the commit (events, notifications): reported, never the caller's error. */
  onError?: ((error: unknown) => void) | undefined;
}

const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const CURSOR = /^(\d{1,16})_(\d{1,20})$/;

/** Decimal ids in numeric order (shorter is smaller), for the pair key of direct conversations. */
const byNumber = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

/**
 * The chat's rules over its repository: membership, roles, the per-conversation counter, blocks,
 * limits. What leaves after a commit goes through ChatPublisher; who hears it, ChatAudiences.
 */
export class ChatServiceImpl implements ChatService {
  readonly #repo: ChatRepository;
  readonly #users: ChatUsers;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  readonly #sendLimit: ChatServiceDeps['sendLimit'];
  readonly #onError: (error: unknown) => void;
  readonly #audiences: ChatAudiences;
  readonly #out: ChatPublisher;
  readonly #delivered: DeliveredMarks;
  // A conversation's kind never changes: remembered, so that a send need not read the conversation.
  readonly #kinds = new LRUCache<string, ConversationKind>({ max: 100_000 });
  readonly #sends: SendBatcher;

  constructor(deps: ChatServiceDeps) {
    this.#repo = deps.repository;
    this.#users = deps.users;
    this.#clock = deps.clock;
    this.#ids = deps.ids;
    this.#sendLimit = deps.sendLimit;
    this.#onError = deps.onError ?? (() => {});
    this.#sends = new SendBatcher(deps.repository);
    this.#audiences = new ChatAudiences(deps.repository);
    this.#out = new ChatPublisher({ repository: deps.repository, users: deps.users, notifier: deps.notifier, onError: this.#onError });
    this.#out.attach(deps.events ?? NO_EVENTS);
    this.#delivered = new DeliveredMarks(deps.repository, this.#onError);
  }

  attach(sink: ChatEventSink): void {
    this.#out.attach(sink);
  }

  async close(): Promise<void> {
    await this.#delivered.flush();
  }

  // ---- conversations ----

  async createDirect(userId: string, withUsername: string) {
    const peer = await this.#user(withUsername);
    if (peer.id === userId) throw new ChatInputError('bad_request', 'A direct conversation is with someone else', '/with');
    if (await this.blockedEitherWay(userId, peer.id)) throw new BlockedError();
    const key = [userId, peer.id].sort(byNumber).join(':');
    const existing = await this.#repo.directByKey(key);
    if (existing !== undefined) return { conversation: await this.#view(existing), created: false };
    const now = this.#clock.now();
    const id = this.#ids.next().toString();
    try {
      await this.#repo.transaction(async (trx) => {
        await this.#repo.insertConversation({ id, kind: 'direct', title: null, direct_key: key, created_by: userId, created_at: now, last_seq: 0, last_activity_at: now, member_count: 2 }, trx);
        await this.#repo.insertMember(this.#newMember(id, userId, 'owner', now, 0), trx);
        await this.#repo.insertMember(this.#newMember(id, peer.id, 'member', now, 0), trx);
      });
    } catch (error) {
      // The pair's other member created it at the same moment: theirs is the one.
      if (!this.#repo.isUniqueViolation(error)) throw error;
      const raced = await this.#repo.directByKey(key);
      if (raced === undefined) throw error;
      return { conversation: await this.#view(raced), created: false };
    }
    this.#audiences.membersChanged(id, [userId, peer.id]);
    const row = (await this.#repo.conversation(id))!;
    await this.#out.summaries(row, [userId, peer.id]);
    return { conversation: await this.#view(row), created: true };
  }

  async createGroup(userId: string, input: { title: string; members: string[] }) {
    const title = cleanTitle(input.title);
    const names = [...new Set(input.members.map((n) => n.toLowerCase()))];
    const others = (await Promise.all(names.map((n) => this.#user(n)))).filter((u) => u.id !== userId);
    if (others.length + 1 > MAX_MEMBERS) throw new ConversationFullError(MAX_MEMBERS);
    if ((await this.#repo.blockedAmong(userId, others.map((u) => u.id))).size > 0) throw new BlockedError('A block stands between you and one of these users');
    const now = this.#clock.now();
    const id = this.#ids.next().toString();
    await this.#repo.transaction(async (trx) => {
      await this.#repo.insertConversation({ id, kind: 'group', title, direct_key: null, created_by: userId, created_at: now, last_seq: 0, last_activity_at: now, member_count: others.length + 1 }, trx);
      await this.#repo.insertMember(this.#newMember(id, userId, 'owner', now, 0), trx);
      for (const u of others) await this.#repo.insertMember(this.#newMember(id, u.id, 'member', now, 0), trx);
    });
    const memberIds = [userId, ...others.map((u) => u.id)];
    this.#audiences.membersChanged(id, memberIds);
    const row = (await this.#repo.conversation(id))!;
    await this.#out.summaries(row, memberIds);
    return this.#view(row);
  }

  async list(userId: string, page: { cursor?: string | undefined; limit: number }) {
    let after: { at: number; id: string } | undefined;
    if (page.cursor !== undefined) {
      const m = CURSOR.exec(page.cursor);
      if (m === null) throw new ChatInputError('cursor_invalid', 'cursor is not a nextCursor of this list', '/cursor');
      after = { at: Number(m[1]), id: m[2]! };
    }
    const rows = await this.#repo.listFor(userId, page.limit + 1, after);
    const shown = rows.slice(0, page.limit);
    const ids = shown.map((r) => r.id);
    const [unread, last, others] = await Promise.all([
      this.#repo.unreadCounts(userId, ids),
      this.#repo.lastMessages(new Map(shown.map((r) => [r.id, r.joined_seq]))),
      this.#repo.othersIn(shown.filter((r) => r.kind === 'direct').map((r) => r.id), userId),
    ]);
    const users = await this.#users.byIds([...[...last.values()].flatMap(usersOfMessage), ...[...others.values()].flat()]);
    const items = shown.map((r) => {
      const lastRow = last.get(r.id);
      const peerId = others.get(r.id)?.[0];
      return summaryView(r, {
        readSeq: r.read_seq,
        unread: unread.get(r.id) ?? 0,
        peer: r.kind === 'direct' && peerId !== undefined ? users.get(peerId) : undefined,
        lastMessage: lastRow === undefined ? null : messageView(lastRow, users),
      });
    });
    const tail = shown.at(-1);
    return { items, nextCursor: rows.length > page.limit && tail !== undefined ? `${tail.last_activity_at}_${tail.id}` : null };
  }

  async get(userId: string, conversationId: string) {
    // The delivered marks it shows include those still gathered in memory.
    await this.#delivered.flush();
    const { conversation } = await this.#membership(userId, conversationId);
    return this.#view(conversation);
  }

  async rename(userId: string, conversationId: string, rawTitle: string) {
    const title = cleanTitle(rawTitle);
    const { conversation, member } = await this.#membership(userId, conversationId);
    this.#requireGroup(conversation, 'A direct conversation has no title');
    if (member.role === 'member') throw new NotAllowedError('Only owners and admins rename a group');
    await this.#repo.updateConversation(conversationId, { title }, this.#repo.db);
    const row = { ...conversation, title };
    await this.#out.summaries(row, await this.membersOf(conversationId));
    return this.#view(row);
  }

  async addMembers(userId: string, conversationId: string, usernames: string[]) {
    const { conversation, member } = await this.#membership(userId, conversationId);
    this.#requireGroup(conversation, 'A direct conversation has two members');
    if (member.role === 'member') throw new NotAllowedError('Only owners and admins add members');
    const names = [...new Set(usernames.map((n) => n.toLowerCase()))];
    const users = await Promise.all(names.map((n) => this.#user(n)));
    if ((await this.#repo.blockedAmong(userId, users.map((u) => u.id))).size > 0) throw new BlockedError('A block stands between you and one of these users');
    const now = this.#clock.now();
    const added = await this.#repo.transaction(async (trx) => {
      const row = await this.#repo.lock(conversationId, trx);
      if (row === undefined) throw new ConversationNotFoundError(conversationId);
      const current = new Set((await this.#repo.members(conversationId, trx)).map((m) => m.user_id));
      const newcomers = users.filter((u) => !current.has(u.id));
      if (row.member_count + newcomers.length > MAX_MEMBERS) throw new ConversationFullError(MAX_MEMBERS);
      for (const u of newcomers) {
        // Newcomers see history from now on, and nothing is unread for them yet.
        if ((await this.#repo.memberEver(conversationId, u.id, trx)) === undefined) await this.#repo.insertMember(this.#newMember(conversationId, u.id, 'member', now, row.last_seq), trx);
        else await this.#repo.rejoin(conversationId, u.id, { joined_at: now, joined_seq: row.last_seq }, trx);
      }
      if (newcomers.length > 0) await this.#repo.updateConversation(conversationId, { member_count: row.member_count + newcomers.length }, trx);
      return newcomers.map((u) => u.id);
    });
    const before = await this.membersOf(conversationId);
    this.#audiences.membersChanged(conversationId, [...before, ...added]);
    const row = (await this.#repo.conversation(conversationId))!;
    if (added.length > 0) await this.#out.summaries(row, await this.membersOf(conversationId));
    return this.#view(row);
  }

  async removeMember(userId: string, conversationId: string, username: string) {
    const target = await this.#user(username);
    const { conversation } = await this.#membership(userId, conversationId);
    this.#requireGroup(conversation, 'A direct conversation cannot be left');
    const before = await this.membersOf(conversationId);
    const now = this.#clock.now();
    await this.#repo.transaction(async (trx) => {
      const row = await this.#repo.lock(conversationId, trx);
      const actor = await this.#repo.member(conversationId, userId, trx);
      if (row === undefined || actor === undefined) throw new ConversationNotFoundError(conversationId);
      const subject = target.id === userId ? actor : await this.#repo.member(conversationId, target.id, trx);
      if (subject === undefined) throw new MemberNotFoundError(target.username);
      if (target.id !== userId) {
        // The owner removes anyone; an admin removes members; a member removes nobody but themself.
        const allowed = actor.role === 'owner' || (actor.role === 'admin' && subject.role === 'member');
        if (!allowed) throw new NotAllowedError(actor.role === 'admin' ? 'Admins remove members, not admins or the owner' : 'Only owners and admins remove members');
      }
      await this.#repo.leave(conversationId, target.id, now, trx);
      await this.#repo.updateConversation(conversationId, { member_count: row.member_count - 1 }, trx);
      if (subject.role === 'owner') {
        // The owner left: the oldest admin takes over, else the oldest member (members are oldest first).
        const rest = await this.#repo.members(conversationId, trx);
        const heir = rest.find((m) => m.role === 'admin') ?? rest[0];
        if (heir !== undefined) await this.#repo.setRole(conversationId, heir.user_id, 'owner', trx);
      }
    });
    this.#audiences.membersChanged(conversationId, before);
    this.#out.publish([target.id], { type: 'conversation.removed', conversationId });
    const row = (await this.#repo.conversation(conversationId))!;
    await this.#out.summaries(row, await this.membersOf(conversationId));
  }

  async setRole(userId: string, conversationId: string, username: string, role: 'admin' | 'member') {
    const target = await this.#user(username);
    const { conversation, member } = await this.#membership(userId, conversationId);
    this.#requireGroup(conversation, 'A direct conversation has no roles');
    if (member.role !== 'owner') throw new NotAllowedError('Only the owner gives and takes roles');
    if (target.id === userId) throw new NotAllowedError('The owner keeps their role until they leave');
    const subject = await this.#repo.member(conversationId, target.id);
    if (subject === undefined) throw new MemberNotFoundError(target.username);
    await this.#repo.setRole(conversationId, target.id, role, this.#repo.db);
    await this.#out.summaries(conversation, await this.membersOf(conversationId));
    return this.#view(conversation);
  }

  // ---- messages ----

  async history(userId: string, conversationId: string, q: { before?: number | undefined; after?: number | undefined; limit: number }) {
    if (q.before !== undefined && q.after !== undefined) throw new ChatInputError('bad_request', 'Give before or after, not both', '/after');
    const { member } = await this.#membership(userId, conversationId);
    const rows = await this.#repo.page(conversationId, member.joined_seq, q, q.limit + 1);
    const hasMore = rows.length > q.limit;
    const page = rows.slice(0, q.limit);
    if (q.after === undefined) page.reverse();
    return { items: await this.#messageViews(page), hasMore };
  }

  async send(userId: string, conversationId: string, input: { clientId: string; text: string; replyTo?: number | undefined }) {
    if (!CLIENT_ID.test(input.clientId)) throw new ChatInputError('bad_request', 'clientId is 1..64 of A-Z a-z 0-9 _ -', '/clientId');
    const text = cleanMessageText(input.text);
    // The hot path reads what it can from memory: the member list (checked again in the storing
    // transaction) and the conversation's kind (it never changes).
    const { kind, members } = await this.#sendFacts(userId, conversationId);
    if (kind === 'direct') {
      const peer = members.find((id) => id !== userId);
      if (peer !== undefined && (await this.blockedEitherWay(userId, peer))) throw new BlockedError();
    }
    if (input.replyTo !== undefined) {
      const member = await this.#repo.member(conversationId, userId);
      const replied = member !== undefined && input.replyTo > member.joined_seq ? await this.#repo.message(conversationId, input.replyTo) : undefined;
      if (replied === undefined) throw new ChatInputError('reply_to_invalid', `No message ${input.replyTo} to reply to`, '/replyTo');
    }
    const limited = await this.#checkSendLimit(userId);
    if (limited !== undefined) {
      // A resend (lost answer, reconnect) is answered even past the limit: it stores nothing. (Below
      // the limit the storing batch finds it, at the cost of one unit of the limit.)
      const stored = await this.#repo.messageByClientId(conversationId, userId, input.clientId);
      if (stored === undefined) throw limited;
      return { message: await this.#messageView(stored), created: false };
    }
    const mentions = await this.#mentions(text, members, userId);
    // Everything the event needs is at hand before the commit, so that it is published in the same
    // turn as the commit settles: in this process, events leave in seq order.
    const users = await this.#users.byIds([userId, ...mentions]);
    const now = this.#clock.now();
    const outcome = await this.#sends.send({ conversationId, authorId: userId, clientId: input.clientId, text, replyTo: input.replyTo ?? null, mentions, id: this.#ids.next().toString(), now });
    if ('notMember' in outcome) {
      this.invalidate(conversationId);
      throw new ConversationNotFoundError(conversationId);
    }
    if (!outcome.created) return { message: await this.#messageView(outcome.row), created: false };
    const message = messageView(outcome.row, users);
    this.#out.publish(members, { type: 'message.created', conversationId, seq: outcome.row.seq, message });
    this.#out.notifyOffline(members.filter((m) => m !== userId), conversationId, userId, now);
    return { message, created: true };
  }

  async edit(userId: string, conversationId: string, seq: number, rawText: string) {
    const text = cleanMessageText(rawText);
    const { member } = await this.#membership(userId, conversationId);
    const members = await this.membersOf(conversationId);
    const mentions = await this.#mentions(text, members, userId);
    const now = this.#clock.now();
    const row = await this.#repo.transaction(async (trx) => {
      const versionSeq = await this.#repo.nextSeq(conversationId, now, false, trx);
      const current = await this.#repo.message(conversationId, seq, trx);
      if (current === undefined || current.seq <= member.joined_seq || current.deleted_at !== null) throw new MessageNotFoundError(seq);
      if (current.author_id !== userId) throw new NotAllowedError('Only its author edits a message');
      const patch = { text, mentions: JSON.stringify(mentions), edited_at: now, version_seq: versionSeq };
      await this.#repo.updateMessage(conversationId, seq, patch, trx);
      return { ...current, ...patch };
    });
    const message = await this.#messageView(row);
    this.#out.publish(members, { type: 'message.edited', conversationId, seq: row.version_seq, message });
    return message;
  }

  async remove(userId: string, conversationId: string, seq: number) {
    const { member } = await this.#membership(userId, conversationId);
    const now = this.#clock.now();
    const row = await this.#repo.transaction(async (trx) => {
      const current = await this.#repo.message(conversationId, seq, trx);
      if (current === undefined || current.seq <= member.joined_seq) throw new MessageNotFoundError(seq);
      if (current.author_id !== userId && member.role === 'member') throw new NotAllowedError('Only its author, an admin or the owner deletes a message');
      // Deleted already: nothing changes and no event goes out (a retried delete).
      if (current.deleted_at !== null) return undefined;
      const versionSeq = await this.#repo.nextSeq(conversationId, now, false, trx);
      const patch = { text: '', mentions: '[]', deleted_at: now, version_seq: versionSeq };
      await this.#repo.updateMessage(conversationId, seq, patch, trx);
      return { ...current, ...patch };
    });
    if (row === undefined) return;
    const message = await this.#messageView(row);
    this.#out.publish(await this.membersOf(conversationId), { type: 'message.deleted', conversationId, seq: row.version_seq, message });
  }

  async markRead(userId: string, conversationId: string, seq: number) {
    const { conversation, member } = await this.#membership(userId, conversationId);
    const target = Math.min(seq, conversation.last_seq);
    const moved = target > member.read_seq;
    if (moved) await this.#repo.transaction((trx) => this.#repo.markRead(conversationId, userId, target, trx));
    const readSeq = Math.max(target, member.read_seq);
    const unread = (await this.#repo.unreadCounts(userId, [conversationId])).get(conversationId) ?? 0;
    if (moved) {
      const [user] = (await this.#users.byIds([userId])).values();
      this.#out.publish(await this.membersOf(conversationId), { type: 'receipt', conversationId, user: user!, deliveredSeq: Math.max(member.delivered_seq, readSeq), readSeq });
      this.#out.read(userId, conversationId);
    }
    return { readSeq, unread };
  }

  async markDelivered(userId: string, conversationId: string, seq: number) {
    const { kind } = await this.#sendFacts(userId, conversationId);
    if (kind !== 'direct') {
      // Groups: every member acknowledges every message, so the marks are gathered in memory and
      // written together (DELIVERED_FLUSH_MS); only the highest seq per member counts.
      this.#delivered.add(conversationId, userId, seq);
      return;
    }
    const { conversation, member } = await this.#membership(userId, conversationId);
    const target = Math.min(seq, conversation.last_seq);
    if (target <= member.delivered_seq || !(await this.#repo.markDelivered(conversationId, userId, target))) return;
    // Delivery ticks go out in direct conversations (WhatsApp's per-recipient ticks); in groups a
    // receipt per delivery to every member would multiply each message by the members squared:
    // the marks are stored and shown by GET /conversations/{id} instead.
    const [user] = (await this.#users.byIds([userId])).values();
    this.#out.publish(await this.membersOf(conversationId), { type: 'receipt', conversationId, user: user!, deliveredSeq: target, readSeq: member.read_seq });
  }

  async eventsSince(userId: string, conversationId: string, afterSeq: number, limit: number): Promise<ChatMessageEvent[]> {
    const { member } = await this.#membership(userId, conversationId);
    const rows = await this.#repo.changedSince(conversationId, afterSeq, member.joined_seq, limit);
    const views = await this.#messageViews(rows);
    return rows.map((row, i) => ({
      // One event per message, in its latest state: a message the client never saw is `created`
      // (or `deleted`, a tombstone), one it saw and that changed since is `edited`/`deleted`.
      type: row.deleted_at !== null ? 'message.deleted' : row.seq > afterSeq ? 'message.created' : 'message.edited',
      conversationId,
      seq: row.version_seq,
      message: views[i]!,
    }));
  }

  // ---- audiences ----

  membersOf(conversationId: string): Promise<readonly string[]> {
    return this.#audiences.membersOf(conversationId);
  }

  contactsOf(userId: string): Promise<readonly string[]> {
    return this.#audiences.contactsOf(userId);
  }

  async isMember(userId: string, conversationId: string): Promise<boolean> {
    return (await this.membersOf(conversationId)).includes(userId);
  }

  blockedEitherWay(a: string, b: string): Promise<boolean> {
    return this.#audiences.blockedEitherWay(a, b);
  }

  invalidate(conversationId: string): void {
    this.#audiences.invalidate(conversationId);
  }

  // ---- blocks ----

  async block(userId: string, username: string) {
    const target = await this.#user(username);
    if (target.id === userId) throw new ChatInputError('bad_request', 'You cannot block yourself', '/username');
    await this.#repo.block(userId, target.id, this.#clock.now());
    this.#audiences.blocksChanged(userId, target.id);
  }

  async unblock(userId: string, username: string) {
    const target = await this.#user(username);
    await this.#repo.unblock(userId, target.id);
    this.#audiences.blocksChanged(userId, target.id);
  }

  async blocks(userId: string) {
    const ids = await this.#repo.blockedBy(userId);
    const users = await this.#users.byIds(ids);
    return ids.map((id) => users.get(id)!);
  }

  // ---- helpers ----

  async #user(username: string): Promise<UserView> {
    const user = await this.#users.byUsername(username);
    if (user === null) throw new ChatUserNotFoundError(username);
    return user;
  }

  /** What a send needs to know, from memory when it can; 404 when the caller is not a member. */
  async #sendFacts(userId: string, conversationId: string): Promise<{ kind: ConversationKind; members: readonly string[] }> {
    let members = await this.membersOf(conversationId);
    let kind = this.#kinds.get(conversationId);
    if (!members.includes(userId) || kind === undefined) {
      // Not in the cached list (or not cached yet): the database decides (another process may have added them).
      const { conversation } = await this.#membership(userId, conversationId);
      kind = conversation.kind as ConversationKind;
      this.#kinds.set(conversationId, kind);
      if (!members.includes(userId)) {
        this.invalidate(conversationId);
        members = await this.membersOf(conversationId);
      }
    }
    return { kind, members };
  }

  /** The conversation and the caller's member row; 404 when they are not a current member. */
  async #membership(userId: string, conversationId: string): Promise<{ conversation: ConversationRow; member: MemberRow }> {
    // Ids are snowflakes: anything else names no conversation (and never reaches the database).
    if (!/^\d{1,20}$/.test(conversationId)) throw new ConversationNotFoundError(conversationId);
    const found = await this.#repo.membership(conversationId, userId);
    if (found === undefined) throw new ConversationNotFoundError(conversationId);
    return found;
  }

  #requireGroup(conversation: ConversationRow, why: string): void {
    if (conversation.kind !== 'group') throw new NotAllowedError(why);
  }

  #newMember(conversationId: string, userId: string, role: MemberRole, now: number, joinedSeq: number) {
    return { conversation_id: conversationId, user_id: userId, role, joined_at: now, read_seq: joinedSeq, delivered_seq: joinedSeq, joined_seq: joinedSeq, left_at: null };
  }

  /** The error to answer when the user is past the send limit (nothing is recorded then), else undefined. */
  async #checkSendLimit(userId: string): Promise<ChatRateLimitedError | undefined> {
    if (this.#sendLimit === undefined) return undefined;
    const { store, rule } = this.#sendLimit;
    const key = `chat-send:u:${userId}`;
    const decision = store.decideSync?.(rule, key) ?? (await store.decide(rule, key));
    return decision.allowed ? undefined : new ChatRateLimitedError(decision.retryAfterMs > 0 ? decision.retryAfterMs : decision.resetMs);
  }

  /** The ids of the members a text mentions (the author excluded), in order of appearance. */
  async #mentions(text: string, members: readonly string[], authorId: string): Promise<string[]> {
    const names = mentionedNames(text);
    if (names.length === 0) return [];
    const users = await Promise.all(names.map((n) => this.#users.byUsername(n)));
    return users.flatMap((u) => (u !== null && u.id !== authorId && members.includes(u.id) ? [u.id] : []));
  }

  async #messageView(row: MessageRow): Promise<MessageView> {
    return messageView(row, await this.#users.byIds(usersOfMessage(row)));
  }

  async #messageViews(rows: readonly MessageRow[]): Promise<MessageView[]> {
    const users = await this.#users.byIds(rows.flatMap(usersOfMessage));
    return rows.map((r) => messageView(r, users));
  }

  async #view(row: ConversationRow): Promise<ConversationView> {
    const members = await this.#repo.members(row.id);
    return conversationView(row, members, await this.#users.byIds(members.map((m) => m.user_id)));
  }
}
