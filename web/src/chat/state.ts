import type { ChatUser, Conversation, ConversationSummary, Message, Presence, SocketStatus } from './types.js';

/**
 * The chat's state as the page renders it, and the pure functions that change it. Every change is
 * idempotent — a message is kept once per seq, in its latest version (highest `versionSeq`) — so a
 * live event, a resume's replay and a history page may bring the same message in any order and the
 * screen shows it once.
 */

/** A message of mine that the server has not acknowledged yet (or refused). */
export interface Pending {
  clientId: string;
  conversationId: string;
  text: string;
  createdAt: string;
  state: 'sending' | 'failed';
  /** Why it failed (shown with a Retry button). */
  error?: string;
}

export interface Thread {
  /** Ascending by seq, each seq once. */
  messages: Message[];
  pending: Pending[];
  /** The first page is in. */
  loaded: boolean;
  /** Older messages remain on the server (before the first shown). */
  hasMore: boolean;
  loadingOlder: boolean;
  error: string | null;
}

export interface Typist {
  user: ChatUser;
  /** Shown until then (ms since the epoch): 5 s after their last `typing`. */
  until: number;
}

export interface ChatState {
  /** The signed-in user's username once the chat is started for them (null before). */
  me: string | null;
  status: SocketStatus;
  list: { items: ConversationSummary[]; loaded: boolean; error: string | null; nextCursor: string | null };
  threads: Readonly<Record<string, Thread>>;
  /** Members with their receipts, for the conversations opened. */
  details: Readonly<Record<string, Conversation>>;
  typing: Readonly<Record<string, readonly Typist[]>>;
  /** By username. */
  presence: Readonly<Record<string, Presence>>;
  /** Conversations the signed-in user was removed from (or left elsewhere). */
  removed: readonly string[];
}

export const INITIAL: ChatState = {
  me: null,
  status: 'connecting',
  list: { items: [], loaded: false, error: null, nextCursor: null },
  threads: {},
  details: {},
  typing: {},
  presence: {},
  removed: [],
};

export const EMPTY_THREAD: Thread = { messages: [], pending: [], loaded: false, hasMore: false, loadingOlder: false, error: null };

/** `messages` with `incoming` in its place by seq, unless a version as new or newer is there already. */
export function upsertMessages(messages: readonly Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0) return messages as Message[];
  const bySeq = new Map(messages.map((m) => [m.seq, m]));
  let changed = false;
  for (const m of incoming) {
    const known = bySeq.get(m.seq);
    if (known !== undefined && (known.versionSeq > m.versionSeq || (known.versionSeq === m.versionSeq && (known.deleted || !m.deleted)))) continue;
    bySeq.set(m.seq, m);
    changed = true;
  }
  if (!changed) return messages as Message[];
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** Most recent activity first; ties by id, so the order never flickers. */
export function sortSummaries(items: ConversationSummary[]): ConversationSummary[] {
  return items.sort((a, b) => (a.lastActivityAt < b.lastActivityAt ? 1 : a.lastActivityAt > b.lastActivityAt ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** The list with `summary` in it (replacing the one with its id). */
export function withSummary(items: readonly ConversationSummary[], summary: ConversationSummary): ConversationSummary[] {
  return sortSummaries([...items.filter((s) => s.id !== summary.id), summary]);
}

/**
 * A fetched summary against the one shown: the fetched one wins unless live events have already
 * taken the shown one further (a list requested before a message arrived, answered after it).
 */
export function newerSummary(shown: ConversationSummary | undefined, fetched: ConversationSummary): ConversationSummary {
  if (shown === undefined || fetched.lastSeq >= shown.lastSeq) return fetched;
  return { ...fetched, lastSeq: shown.lastSeq, lastMessage: shown.lastMessage, unread: shown.unread, readSeq: Math.max(shown.readSeq, fetched.readSeq), lastActivityAt: shown.lastActivityAt };
}

/** A summary for a conversation just created (the POST answers the full conversation). */
export function summaryOf(conversation: Conversation, me: string): ConversationSummary {
  const peer = conversation.kind === 'direct' ? conversation.members.find((m) => m.user.username !== me)?.user : undefined;
  return {
    id: conversation.id,
    kind: conversation.kind,
    title: conversation.title,
    members: conversation.members.length,
    lastSeq: conversation.lastSeq,
    lastMessage: null,
    unread: 0,
    readSeq: conversation.lastSeq,
    lastActivityAt: conversation.createdAt,
    ...(peer === undefined ? {} : { peer }),
  };
}

/** The name a conversation goes by: its title, or the other person's name. */
export function conversationName(summary: Pick<ConversationSummary, 'title' | 'peer' | 'kind'>): string {
  if (summary.kind === 'direct') return summary.peer ? summary.peer.displayName || summary.peer.username : 'Direct conversation';
  return summary.title ?? 'Group';
}

/** A member's receipts raised to `delivered`/`read` (never lowered: the server's are monotonic too). */
export function withReceipt(conversation: Conversation, username: string, deliveredSeq: number, readSeq: number): Conversation {
  let changed = false;
  const members = conversation.members.map((m) => {
    if (m.user.username !== username) return m;
    const read = Math.max(m.readSeq, readSeq);
    const delivered = Math.max(m.deliveredSeq, deliveredSeq, read);
    if (read === m.readSeq && delivered === m.deliveredSeq) return m;
    changed = true;
    return { ...m, readSeq: read, deliveredSeq: delivered };
  });
  return changed ? { ...conversation, members } : conversation;
}

export type Receipt = 'sent' | 'delivered' | 'read';

/**
 * How far my message got: read once every other member has read up to it, delivered once every
 * other member's device has it (a group's receipts are the slowest member's, as WhatsApp shows
 * them), with how many of the others have read it.
 */
export function receiptOf(message: Message, conversation: Conversation | undefined, me: string): { state: Receipt; read: number; of: number } {
  const others = conversation?.members.filter((m) => m.user.username !== me) ?? [];
  const read = others.filter((m) => m.readSeq >= message.seq).length;
  const delivered = others.filter((m) => Math.max(m.deliveredSeq, m.readSeq) >= message.seq).length;
  const state = others.length === 0 ? 'sent' : read === others.length ? 'read' : delivered === others.length ? 'delivered' : 'sent';
  return { state, read, of: others.length };
}

/** The typists of a conversation still within their 5 s (`now` in ms). */
export function typistsAt(typing: readonly Typist[] | undefined, now: number): ChatUser[] {
  return (typing ?? []).filter((t) => t.until > now).map((t) => t.user);
}
