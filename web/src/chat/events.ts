import { newerSummary, upsertMessages, withReceipt, withSummary, type ChatState, type Thread } from './state.js';
import type { ConversationSummary, Message, ServerFrame } from './types.js';

/** How long a `typing` shows: the server relays one per 3 s while they type. */
export const TYPING_SHOWN_MS = 5_000;

/** What applying a frame may need beyond the state: the client's bookkeeping and follow-up work. */
export interface Effects {
  me: string;
  /** The conversation on screen (its new messages are read at once). */
  visible: string | null;
  lastSeen: (conversationId: string) => number | undefined;
  seen: (conversationId: string, seq: number) => void;
  delivered: (conversationId: string, seq: number) => void;
  markRead: (conversationId: string) => void;
  /** A conversation not in the list: fetched with the list. */
  refreshList: () => void;
  refreshDetails: (conversationId: string) => void;
  expireTyping: (conversationId: string, at: number) => void;
  /** No longer a member: nothing to resume there. */
  forget: (conversationId: string) => void;
  /** Set by applyFrame: what to run once the new state is set. */
  after?: () => void;
}

/** Where in the threads the pending message with this client id is. */
function pendingThread(state: ChatState, clientId: string): string | undefined {
  return Object.keys(state.threads).find((id) => state.threads[id]!.pending.some((p) => p.clientId === clientId));
}

function withThread(state: ChatState, id: string, change: (t: Thread) => Thread): ChatState {
  const thread = state.threads[id];
  if (thread === undefined) return state;
  const next = change(thread);
  return next === thread ? state : { ...state, threads: { ...state.threads, [id]: next } };
}

/** The thread with `message` in it and its pending copy gone (the ack and the event both do it). */
function withMessage(thread: Thread, message: Message, me: string): Thread {
  const first = thread.messages[0];
  // An edit of a message older than the history loaded: its page brings it when scrolled to.
  if (thread.loaded && thread.hasMore && first !== undefined && message.seq < first.seq) return thread;
  const messages = upsertMessages(thread.messages, [message]);
  const acknowledged = message.author.username === me && thread.pending.some((p) => p.clientId === message.clientId);
  const pending = acknowledged ? thread.pending.filter((p) => p.clientId !== message.clientId) : thread.pending;
  return messages === thread.messages && pending === thread.pending ? thread : { ...thread, messages, pending };
}

/** The summary after a message event; `fresh` when its seq had not been seen before. */
function summaryAfter(summary: ConversationSummary, frame: Extract<ServerFrame, { message: Message }>, fresh: boolean, counted: boolean, fx: Effects): ConversationSummary {
  const m = frame.message;
  const others = m.author.username !== fx.me;
  const onScreen = fx.visible === summary.id;
  let { unread, lastMessage, lastActivityAt } = summary;
  if (lastMessage === null || m.seq > lastMessage.seq || (m.seq === lastMessage.seq && m.versionSeq >= lastMessage.versionSeq)) {
    lastMessage = m;
    if (frame.type === 'message.created' && m.createdAt > lastActivityAt) lastActivityAt = m.createdAt;
  }
  if (frame.type === 'message.created' && fresh && others && !m.deleted && m.seq > summary.readSeq && !onScreen) unread++;
  // A deleted unread message no longer counts (if its creation was counted here).
  if (frame.type === 'message.deleted' && counted && others && m.seq > summary.readSeq && !onScreen) unread = Math.max(0, unread - 1);
  return { ...summary, lastSeq: Math.max(summary.lastSeq, frame.seq), lastMessage, lastActivityAt, unread };
}

/**
 * The state after one server frame. Idempotent per message version: a replayed event changes
 * nothing, and unread counts move only for seqs not seen before.
 */
export function applyFrame(state: ChatState, frame: ServerFrame, fx: Effects): ChatState {
  const later: (() => void)[] = [];
  fx.after = () => later.forEach((f) => f());
  switch (frame.type) {
    case 'message.created':
    case 'message.edited':
    case 'message.deleted': {
      const id = frame.conversationId;
      const m = frame.message;
      const before = fx.lastSeen(id);
      const fresh = before === undefined || frame.seq > before;
      const counted = before !== undefined && m.seq <= before;
      fx.seen(id, frame.seq);
      let next = withThread(state, id, (t) => withMessage(t, m, fx.me));
      const typing = next.typing[id];
      if (frame.type === 'message.created' && typing?.some((t) => t.user.username === m.author.username)) {
        next = { ...next, typing: { ...next.typing, [id]: typing.filter((t) => t.user.username !== m.author.username) } };
      }
      const summary = next.list.items.find((s) => s.id === id);
      if (summary === undefined) later.push(fx.refreshList);
      else next = { ...next, list: { ...next.list, items: withSummary(next.list.items, summaryAfter(summary, frame, fresh, counted, fx)) } };
      if (frame.type === 'message.created' && m.author.username !== fx.me) later.push(() => fx.delivered(id, m.seq));
      if (fx.visible === id) later.push(() => fx.markRead(id));
      return next;
    }
    case 'ack': {
      if (frame.message === undefined) return state;
      const message = frame.message;
      const id = pendingThread(state, frame.ref) ?? message.conversationId;
      return withThread(state, id, (t) => withMessage(t, message, fx.me));
    }
    case 'error': {
      const ref = frame.ref;
      // A resume refused for a conversation one is no longer in: it goes, as if removed.
      if (ref === undefined && frame.conversationId !== undefined && frame.code === 'conversation_not_found') {
        return applyFrame(state, { type: 'conversation.removed', conversationId: frame.conversationId }, fx);
      }
      if (ref === undefined) return state;
      const id = pendingThread(state, ref);
      if (id === undefined) return state;
      const error = frame.code === 'rate_limited' && frame.retryAfter !== undefined ? `Sending too fast: try again in ${Math.ceil(frame.retryAfter)} s.` : frame.detail;
      return withThread(state, id, (t) => ({ ...t, pending: t.pending.map((p) => (p.clientId === ref ? { ...p, state: 'failed' as const, error } : p)) }));
    }
    case 'typing': {
      if (frame.user.username === fx.me) return state;
      const until = Date.now() + TYPING_SHOWN_MS;
      const others = (state.typing[frame.conversationId] ?? []).filter((t) => t.user.username !== frame.user.username);
      later.push(() => fx.expireTyping(frame.conversationId, until));
      return { ...state, typing: { ...state.typing, [frame.conversationId]: [...others, { user: frame.user, until }] } };
    }
    case 'presence':
      return { ...state, presence: { ...state.presence, [frame.user.username]: { status: frame.status, lastSeen: frame.lastSeen ?? null } } };
    case 'receipt': {
      const id = frame.conversationId;
      let next = state;
      const details = state.details[id];
      if (details !== undefined) {
        const updated = withReceipt(details, frame.user.username, frame.deliveredSeq, frame.readSeq);
        if (updated !== details) next = { ...next, details: { ...next.details, [id]: updated } };
      }
      const summary = next.list.items.find((s) => s.id === id);
      if (frame.user.username === fx.me && summary !== undefined && frame.readSeq > summary.readSeq) {
        // Read on another device (or this one, confirmed).
        const unread = frame.readSeq >= (summary.lastMessage?.seq ?? summary.lastSeq) ? 0 : summary.unread;
        next = { ...next, list: { ...next.list, items: withSummary(next.list.items, { ...summary, readSeq: frame.readSeq, unread }) } };
      }
      return next;
    }
    case 'conversation.updated': {
      const c = frame.conversation;
      const shown = state.list.items.find((s) => s.id === c.id);
      if (fx.lastSeen(c.id) === undefined) fx.seen(c.id, c.lastSeq);
      if (state.details[c.id] !== undefined) later.push(() => fx.refreshDetails(c.id));
      return { ...state, removed: state.removed.filter((r) => r !== c.id), list: { ...state.list, items: withSummary(state.list.items, newerSummary(shown, c)) } };
    }
    case 'conversation.removed': {
      const id = frame.conversationId;
      fx.forget(id);
      const threads = { ...state.threads };
      delete threads[id];
      const details = { ...state.details };
      delete details[id];
      return { ...state, threads, details, removed: [...state.removed.filter((r) => r !== id), id], list: { ...state.list, items: state.list.items.filter((s) => s.id !== id) } };
    }
    case 'resumed':
      for (const [id, seq] of Object.entries(frame.conversations)) fx.seen(id, seq);
      return state;
    default:
      return state;
  }
}
