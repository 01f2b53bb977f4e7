import { sql, type Kysely, type Selectable, type Updateable } from 'kysely';
import { BulkInsert, type SqlDatabase } from '../../platform/sql/index.js';
import type { ChatConversationsTable, ChatMembersTable, ChatMessagesTable, ChatTables } from './chat.tables.js';

export type ConversationRow = Selectable<ChatConversationsTable>;
export type MemberRow = Selectable<ChatMembersTable>;
export type MessageRow = Selectable<ChatMessagesTable>;
/** A conversation as one member lists it. */
export type ListedRow = ConversationRow & { read_seq: number; joined_seq: number };

type Db = Kysely<ChatTables>;

const MESSAGE_COLUMNS = ['conversation_id', 'seq', 'id', 'author_id', 'text', 'reply_to_seq', 'mentions', 'client_id', 'created_at', 'edited_at', 'deleted_at', 'version_seq'] as const satisfies readonly (keyof ChatMessagesTable)[];
// 12 parameters a row: 50 rows stay far below SQLite's and PostgreSQL's parameter limits.
const MESSAGES = new BulkInsert<ChatMessagesTable>('chat_messages', MESSAGE_COLUMNS, { chunk: 50 });

/** Numbers as numbers: PostgreSQL answers counts as text, integers as numbers (see postgres-values.ts). */
const num = (v: unknown): number => Number(v);

function conversationOf(row: ConversationRow): ConversationRow {
  return { ...row, created_at: num(row.created_at), last_activity_at: num(row.last_activity_at), last_seq: num(row.last_seq), member_count: num(row.member_count) };
}

function memberOf(row: MemberRow): MemberRow {
  return { ...row, joined_at: num(row.joined_at), read_seq: num(row.read_seq), delivered_seq: num(row.delivered_seq), joined_seq: num(row.joined_seq), left_at: row.left_at === null ? null : num(row.left_at) };
}

function messageOf(row: MessageRow): MessageRow {
  return {
    ...row,
    seq: num(row.seq),
    version_seq: num(row.version_seq),
    reply_to_seq: row.reply_to_seq === null ? null : num(row.reply_to_seq),
    created_at: num(row.created_at),
    edited_at: row.edited_at === null ? null : num(row.edited_at),
    deleted_at: row.deleted_at === null ? null : num(row.deleted_at),
  };
}

/**
 * The only code that queries the chat tables. Methods that write take the transaction they are
 * part of (`trx`); the service decides what runs together.
 */
export class ChatRepository {
  readonly #sql: SqlDatabase<ChatTables>;

  constructor(sql: SqlDatabase<ChatTables>) {
    this.#sql = sql;
  }

  /** Write transactions worth running at once (1 on SQLite, several on a server's pool). */
  get writeConcurrency(): number {
    return this.#sql.writeConcurrency;
  }

  get db(): Db {
    return this.#sql.db;
  }

  /** True when `error` is a unique-key violation (a concurrent insert won). */
  isUniqueViolation(error: unknown): boolean {
    return this.#sql.isUniqueViolation(error);
  }

  /** Runs `work` in one transaction. */
  transaction<T>(work: (trx: Db) => Promise<T>): Promise<T> {
    return this.#sql.db.transaction().execute(work);
  }


  /** A conversation and the caller's row in it, when they are a current member: one query. */
  async membership(conversationId: string, userId: string): Promise<{ conversation: ConversationRow; member: MemberRow } | undefined> {
    const row = await this.db
      .selectFrom('chat_conversations as c')
      .innerJoin('chat_members as m', 'm.conversation_id', 'c.id')
      .selectAll('c')
      .select(['m.user_id', 'm.role', 'm.joined_at', 'm.read_seq', 'm.delivered_seq', 'm.joined_seq', 'm.left_at'])
      .where('c.id', '=', conversationId)
      .where('m.user_id', '=', userId)
      .where('m.left_at', 'is', null)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const { user_id, role, joined_at, read_seq, delivered_seq, joined_seq, left_at, ...conversation } = row;
    return {
      conversation: conversationOf(conversation),
      member: memberOf({ conversation_id: conversationId, user_id, role, joined_at, read_seq, delivered_seq, joined_seq, left_at }),
    };
  }

  async conversation(id: string, db: Db = this.db): Promise<ConversationRow | undefined> {
    const row = await db.selectFrom('chat_conversations').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : conversationOf(row);
  }

  async directByKey(key: string, db: Db = this.db): Promise<ConversationRow | undefined> {
    const row = await db.selectFrom('chat_conversations').selectAll().where('direct_key', '=', key).executeTakeFirst();
    return row === undefined ? undefined : conversationOf(row);
  }

  async insertConversation(row: ChatConversationsTable, db: Db): Promise<void> {
    await db.insertInto('chat_conversations').values(row).execute();
  }

  /**
   * Takes the conversation's row lock for the rest of the transaction (PostgreSQL; SQLite has one
   * writer) and answers the row: a no-op update, since SQLite has no `select ... for update`.
   */
  async lock(id: string, db: Db): Promise<ConversationRow | undefined> {
    const row = await db.updateTable('chat_conversations').set({ member_count: sql`member_count` }).where('id', '=', id).returningAll().executeTakeFirst();
    return row === undefined ? undefined : conversationOf(row);
  }

  /** The next value of the conversation's counter (locks its row until the transaction ends). */
  async nextSeq(id: string, now: number, bumpActivity: boolean, db: Db): Promise<number> {
    return this.advanceSeq(id, 1, bumpActivity ? now : undefined, db);
  }

  /** Takes the next `count` values of the counter at once; answers the last (locks the row). */
  async advanceSeq(id: string, count: number, activityAt: number | undefined, db: Db): Promise<number> {
    const row = await db
      .updateTable('chat_conversations')
      .set(activityAt !== undefined ? { last_seq: sql`last_seq + ${count}`, last_activity_at: activityAt } : { last_seq: sql`last_seq + ${count}` })
      .where('id', '=', id)
      .returning('last_seq')
      .executeTakeFirstOrThrow();
    return num(row.last_seq);
  }

  async updateConversation(id: string, patch: Updateable<ChatConversationsTable>, db: Db): Promise<void> {
    await db.updateTable('chat_conversations').set(patch).where('id', '=', id).execute();
  }

  /** The member row of a current member, or undefined. */
  async member(conversationId: string, userId: string, db: Db = this.db): Promise<MemberRow | undefined> {
    const row = await db.selectFrom('chat_members').selectAll().where('conversation_id', '=', conversationId).where('user_id', '=', userId).where('left_at', 'is', null).executeTakeFirst();
    return row === undefined ? undefined : memberOf(row);
  }

  /** The member row whether current or gone. */
  async memberEver(conversationId: string, userId: string, db: Db): Promise<MemberRow | undefined> {
    const row = await db.selectFrom('chat_members').selectAll().where('conversation_id', '=', conversationId).where('user_id', '=', userId).executeTakeFirst();
    return row === undefined ? undefined : memberOf(row);
  }

  /** Current members, oldest first (the hand-over order). */
  async members(conversationId: string, db: Db = this.db): Promise<MemberRow[]> {
    const rows = await db
      .selectFrom('chat_members')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('left_at', 'is', null)
      .orderBy('joined_at')
      .orderBy('user_id')
      .execute();
    return rows.map(memberOf);
  }

  async insertMember(row: ChatMembersTable, db: Db): Promise<void> {
    await db.insertInto('chat_members').values(row).execute();
  }

  /** Brings a former member back, starting afresh (history from now, no role kept). */
  async rejoin(conversationId: string, userId: string, values: { joined_at: number; joined_seq: number }, db: Db): Promise<void> {
    await db
      .updateTable('chat_members')
      .set({ role: 'member', joined_at: values.joined_at, joined_seq: values.joined_seq, read_seq: values.joined_seq, delivered_seq: values.joined_seq, left_at: null })
      .where('conversation_id', '=', conversationId)
      .where('user_id', '=', userId)
      .execute();
  }

  async leave(conversationId: string, userId: string, at: number, db: Db): Promise<void> {
    await db.updateTable('chat_members').set({ left_at: at }).where('conversation_id', '=', conversationId).where('user_id', '=', userId).execute();
  }

  async setRole(conversationId: string, userId: string, role: string, db: Db): Promise<void> {
    await db.updateTable('chat_members').set({ role }).where('conversation_id', '=', conversationId).where('user_id', '=', userId).execute();
  }

  /** Moves the member's read mark (and delivered mark with it) up to `seq`; never down. */
  async markRead(conversationId: string, userId: string, seq: number, db: Db): Promise<void> {
    await db.updateTable('chat_members').set({ read_seq: seq }).where('conversation_id', '=', conversationId).where('user_id', '=', userId).where('read_seq', '<', seq).execute();
    await this.markDelivered(conversationId, userId, seq, db);
  }

  /** Moves the member's delivered mark up to `seq`; false when it was there already. */
  async markDelivered(conversationId: string, userId: string, seq: number, db: Db = this.db): Promise<boolean> {
    const result = await db.updateTable('chat_members').set({ delivered_seq: seq }).where('conversation_id', '=', conversationId).where('user_id', '=', userId).where('delivered_seq', '<', seq).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Moves the delivered mark up to `seq`, or to the conversation's last seq if lower; never down. */
  async markDeliveredUpTo(conversationId: string, userId: string, seq: number, db: Db): Promise<void> {
    const last = sql<number>`(select last_seq from chat_conversations where id = ${conversationId})`;
    const wanted = sql<number>`cast(${seq} as integer)`;
    await db
      .updateTable('chat_members')
      .set({ delivered_seq: sql<number>`case when ${wanted} < ${last} then ${wanted} else ${last} end` })
      .where('conversation_id', '=', conversationId)
      .where('user_id', '=', userId)
      .where('left_at', 'is', null)
      .where('delivered_seq', '<', wanted)
      .where('delivered_seq', '<', last)
      .execute();
  }

  async messageByClientId(conversationId: string, authorId: string, clientId: string, db: Db = this.db): Promise<MessageRow | undefined> {
    const row = await db
      .selectFrom('chat_messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('author_id', '=', authorId)
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return row === undefined ? undefined : messageOf(row);
  }

  async message(conversationId: string, seq: number, db: Db = this.db): Promise<MessageRow | undefined> {
    const row = await db.selectFrom('chat_messages').selectAll().where('conversation_id', '=', conversationId).where('seq', '=', seq).executeTakeFirst();
    return row === undefined ? undefined : messageOf(row);
  }

  async insertMessage(row: ChatMessagesTable, db: Db): Promise<void> {
    await db.insertInto('chat_messages').values(row).execute();
  }

  /** Inserts many messages, a few statements for all (a send batch). */
  async insertMessages(rows: readonly ChatMessagesTable[], db: Db): Promise<void> {
    await MESSAGES.insert(db, rows.map((r) => MESSAGE_COLUMNS.map((c) => r[c])));
  }

  /** Of `userIds`, the current members of the conversation. */
  async currentAmong(conversationId: string, userIds: readonly string[], db: Db): Promise<Set<string>> {
    const rows = await db.selectFrom('chat_members').select('user_id').where('conversation_id', '=', conversationId).where('user_id', 'in', [...userIds]).where('left_at', 'is', null).execute();
    return new Set(rows.map((r) => r.user_id));
  }

  /** The stored messages of the conversation with any of these client ids (any author: the caller filters). */
  async byClientIds(conversationId: string, clientIds: readonly string[], db: Db): Promise<MessageRow[]> {
    const rows = await db.selectFrom('chat_messages').selectAll().where('conversation_id', '=', conversationId).where('client_id', 'in', [...clientIds]).execute();
    return rows.map(messageOf);
  }

  async updateMessage(conversationId: string, seq: number, patch: Updateable<ChatMessagesTable>, db: Db): Promise<void> {
    await db.updateTable('chat_messages').set(patch).where('conversation_id', '=', conversationId).where('seq', '=', seq).execute();
  }

  /**
   * A page of messages after `floor` (the reader's joined_seq): before a seq (newest first, so the
   * caller reverses) or after one (oldest first); `limit` rows at most.
   */
  async page(conversationId: string, floor: number, q: { before?: number | undefined; after?: number | undefined }, limit: number): Promise<MessageRow[]> {
    let query = this.db.selectFrom('chat_messages').selectAll().where('conversation_id', '=', conversationId).where('seq', '>', Math.max(floor, q.after ?? 0));
    if (q.after !== undefined) return (await query.orderBy('seq').limit(limit).execute()).map(messageOf);
    if (q.before !== undefined) query = query.where('seq', '<', q.before);
    return (await query.orderBy('seq', 'desc').limit(limit).execute()).map(messageOf);
  }

  /** Messages changed (created, edited, deleted) after `afterSeq`, in change order: resume. */
  async changedSince(conversationId: string, afterSeq: number, floor: number, limit: number): Promise<MessageRow[]> {
    const rows = await this.db
      .selectFrom('chat_messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('version_seq', '>', afterSeq)
      .where('seq', '>', floor)
      .orderBy('version_seq')
      .limit(limit)
      .execute();
    return rows.map(messageOf);
  }

  /** The newest message of each conversation the reader can see (seq above their floor). */
  async lastMessages(floors: ReadonlyMap<string, number>): Promise<Map<string, MessageRow>> {
    const out = new Map<string, MessageRow>();
    await Promise.all(
      [...floors].map(async ([id, floor]) => {
        const row = await this.db.selectFrom('chat_messages').selectAll().where('conversation_id', '=', id).where('seq', '>', floor).orderBy('seq', 'desc').limit(1).executeTakeFirst();
        if (row !== undefined) out.set(id, messageOf(row));
      }),
    );
    return out;
  }

  /** A user's current conversations, most recent activity first, after the cursor `(at, id)`. */
  async listFor(userId: string, limit: number, after?: { at: number; id: string }): Promise<ListedRow[]> {
    let query = this.db
      .selectFrom('chat_members as m')
      .innerJoin('chat_conversations as c', 'c.id', 'm.conversation_id')
      .selectAll('c')
      .select(['m.read_seq', 'm.joined_seq'])
      .where('m.user_id', '=', userId)
      .where('m.left_at', 'is', null);
    if (after !== undefined) {
      query = query.where((eb) => eb.or([eb('c.last_activity_at', '<', after.at), eb.and([eb('c.last_activity_at', '=', after.at), eb('c.id', '<', after.id)])]));
    }
    const rows = await query.orderBy('c.last_activity_at', 'desc').orderBy('c.id', 'desc').limit(limit).execute();
    return rows.map((r) => ({ ...conversationOf(r), read_seq: num(r.read_seq), joined_seq: num(r.joined_seq) }));
  }

  /** Unread messages per conversation for `userId`: after their read mark, not theirs, not deleted. */
  async unreadCounts(userId: string, conversationIds: readonly string[]): Promise<Map<string, number>> {
    if (conversationIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('chat_members as m')
      .innerJoin('chat_messages as msg', (join) => join.onRef('msg.conversation_id', '=', 'm.conversation_id').onRef('msg.seq', '>', 'm.read_seq'))
      .select(['m.conversation_id', (eb) => eb.fn.countAll().as('n')])
      .where('m.user_id', '=', userId)
      .where('m.conversation_id', 'in', [...conversationIds])
      .where('msg.author_id', '<>', userId)
      .where('msg.deleted_at', 'is', null)
      .groupBy('m.conversation_id')
      .execute();
    return new Map(rows.map((r) => [r.conversation_id, num(r.n)]));
  }

  /** Unread messages of every current member of one conversation (the per-recipient summaries). */
  async unreadByMember(conversationId: string): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('chat_members as m')
      .innerJoin('chat_messages as msg', (join) => join.onRef('msg.conversation_id', '=', 'm.conversation_id').onRef('msg.seq', '>', 'm.read_seq'))
      .select(['m.user_id', (eb) => eb.fn.countAll().as('n')])
      .where('m.conversation_id', '=', conversationId)
      .where('m.left_at', 'is', null)
      .whereRef('msg.author_id', '<>', 'm.user_id')
      .where('msg.deleted_at', 'is', null)
      .groupBy('m.user_id')
      .execute();
    return new Map(rows.map((r) => [r.user_id, num(r.n)]));
  }

  /** The other members of the given conversations (direct ones' peers), by conversation. */
  async othersIn(conversationIds: readonly string[], userId: string): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (conversationIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('chat_members')
      .select(['conversation_id', 'user_id'])
      .where('conversation_id', 'in', [...conversationIds])
      .where('user_id', '<>', userId)
      .execute();
    for (const r of rows) out.set(r.conversation_id, [...(out.get(r.conversation_id) ?? []), r.user_id]);
    return out;
  }

  /** Users who share a current conversation with `userId` (themself excluded). */
  async contacts(userId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('chat_members as mine')
      .innerJoin('chat_members as other', 'other.conversation_id', 'mine.conversation_id')
      .select('other.user_id')
      .distinct()
      .where('mine.user_id', '=', userId)
      .where('mine.left_at', 'is', null)
      .where('other.left_at', 'is', null)
      .where('other.user_id', '<>', userId)
      .execute();
    return rows.map((r) => r.user_id);
  }

  /** Adds a block; false when it existed. */
  async block(blockerId: string, blockedId: string, at: number): Promise<boolean> {
    const result = await this.db
      .insertInto('chat_blocks')
      .values({ blocker_id: blockerId, blocked_id: blockedId, created_at: at })
      .onConflict((oc) => oc.columns(['blocker_id', 'blocked_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async unblock(blockerId: string, blockedId: string): Promise<void> {
    await this.db.deleteFrom('chat_blocks').where('blocker_id', '=', blockerId).where('blocked_id', '=', blockedId).execute();
  }

  /** Whom `blockerId` blocked, oldest first. */
  async blockedBy(blockerId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('chat_blocks').select('blocked_id').where('blocker_id', '=', blockerId).orderBy('created_at').orderBy('blocked_id').execute();
    return rows.map((r) => r.blocked_id);
  }

  /** Of `others`, those with a block with `userId` either way. */
  async blockedAmong(userId: string, others: readonly string[], db: Db = this.db): Promise<Set<string>> {
    if (others.length === 0) return new Set();
    const list = [...others];
    const rows = await db
      .selectFrom('chat_blocks')
      .select(['blocker_id', 'blocked_id'])
      .where((eb) => eb.or([eb.and([eb('blocker_id', '=', userId), eb('blocked_id', 'in', list)]), eb.and([eb('blocked_id', '=', userId), eb('blocker_id', 'in', list)])]))
      .execute();
    return new Set(rows.map((r) => (r.blocker_id === userId ? r.blocked_id : r.blocker_id)));
  }
}
