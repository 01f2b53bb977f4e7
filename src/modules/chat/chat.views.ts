import { LRUCache } from 'lru-cache';
import type { UserDirectory } from '../accounts/index.js';
import type { ConversationKind, ConversationSummaryView, ConversationView, MemberRole, MessageView, UserView } from './chat.model.js';
import type { ConversationRow, MemberRow, MessageRow } from './chat.repository.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** The mentioned user ids of a stored message. */
export function mentionIdsOf(row: Pick<MessageRow, 'mentions'>): string[] {
  try {
    const ids: unknown = JSON.parse(row.mentions);
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Users by id for views, remembered (bounded): names never change and accounts are not deleted,
 * and every message view names its author — a send must not cost a user lookup.
 */
export class ChatUsers {
  readonly #directory: Pick<UserDirectory, 'byIds' | 'byUsername'>;
  readonly #byId = new LRUCache<string, UserView>({ max: 50_000 });

  constructor(directory: Pick<UserDirectory, 'byIds' | 'byUsername'>) {
    this.#directory = directory;
  }

  /** The user of that name (any case), or null. */
  async byUsername(username: string): Promise<UserView | null> {
    const user = await this.#directory.byUsername(username);
    if (user === null) return null;
    const view = { id: user.id, username: user.username, displayName: user.username };
    this.#byId.set(view.id, view);
    return view;
  }

  /** Views of the given ids; an id with no account gets a placeholder name. */
  async byIds(ids: Iterable<string>): Promise<Map<string, UserView>> {
    const out = new Map<string, UserView>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const known = this.#byId.get(id);
      if (known !== undefined) out.set(id, known);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const found = await this.#directory.byIds(missing);
      for (const id of missing) {
        const user = found.get(id);
        const view = user === undefined ? { id, username: 'deleted', displayName: 'deleted' } : { id, username: user.username, displayName: user.username };
        if (user !== undefined) this.#byId.set(id, view);
        out.set(id, view);
      }
    }
    return out;
  }
}

/** The user ids a message view needs (author and mentions). */
export function usersOfMessage(row: MessageRow): string[] {
  return [row.author_id, ...mentionIdsOf(row)];
}

export function messageView(row: MessageRow, users: ReadonlyMap<string, UserView>): MessageView {
  const user = (id: string) => users.get(id) ?? { id, username: 'deleted', displayName: 'deleted' };
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    versionSeq: row.version_seq,
    author: user(row.author_id),
    text: row.text,
    replyTo: row.reply_to_seq,
    mentions: mentionIdsOf(row).map((id) => user(id).username),
    clientId: row.client_id,
    createdAt: iso(row.created_at),
    editedAt: row.edited_at === null ? null : iso(row.edited_at),
    deleted: row.deleted_at !== null,
  };
}

export function conversationView(row: ConversationRow, members: readonly MemberRow[], users: ReadonlyMap<string, UserView>): ConversationView {
  return {
    id: row.id,
    kind: row.kind as ConversationKind,
    title: row.title,
    createdAt: iso(row.created_at),
    lastSeq: row.last_seq,
    members: members.map((m) => ({
      user: users.get(m.user_id) ?? { id: m.user_id, username: 'deleted', displayName: 'deleted' },
      role: m.role as MemberRole,
      joinedAt: iso(m.joined_at),
      readSeq: m.read_seq,
      deliveredSeq: m.delivered_seq,
    })),
  };
}

/** One member's summary of a conversation. */
export function summaryView(
  row: ConversationRow,
  personal: { readSeq: number; unread: number; peer: UserView | undefined; lastMessage: MessageView | null },
): ConversationSummaryView {
  return {
    id: row.id,
    kind: row.kind as ConversationKind,
    title: row.title,
    ...(personal.peer === undefined ? {} : { peer: personal.peer }),
    members: row.member_count,
    lastSeq: row.last_seq,
    lastMessage: personal.lastMessage,
    unread: personal.unread,
    readSeq: personal.readSeq,
    lastActivityAt: iso(row.last_activity_at),
  };
}
