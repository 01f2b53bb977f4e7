import { describe, expect, it } from 'vitest';
import { applyFrame, type Effects } from '../web/src/chat/events.js';
import { EMPTY_THREAD, INITIAL, newerSummary, receiptOf, type ChatState } from '../web/src/chat/state.js';
import type { Conversation, ConversationSummary, Message, ServerFrame } from '../web/src/chat/types.js';

/**
 * The web chat's state changes (web/src/chat/events.ts, state.ts) without a browser: what the
 * screen shows must not depend on how often or in which order the socket, a resume and a history
 * page bring the same message — once per seq, its latest version, unread counted once.
 */
const ann = { id: '1', username: 'ann', displayName: 'ann' };
const bob = { id: '2', username: 'bob', displayName: 'bob' };
const C = '100';

function message(seq: number, over: Partial<Message> = {}): Message {
  return { id: `9${seq}`, conversationId: C, seq, versionSeq: seq, author: bob, text: `m${seq}`, replyTo: null, mentions: [], clientId: `c${seq}`, createdAt: new Date(1_700_000_000_000 + seq * 1000).toISOString(), editedAt: null, deleted: false, ...over };
}

function summary(over: Partial<ConversationSummary> = {}): ConversationSummary {
  return { id: C, kind: 'direct', title: null, members: 2, lastSeq: 0, lastMessage: null, unread: 0, readSeq: 0, lastActivityAt: new Date(1_700_000_000_000).toISOString(), peer: bob, ...over };
}

/** Ann's chat with one conversation (its thread open when `open`), and the client's bookkeeping as events.ts expects it. */
function harness(open: boolean, visible = false) {
  const lastSeen = new Map<string, number>([[C, 0]]);
  const calls: string[] = [];
  let state: ChatState = { ...INITIAL, me: 'ann', list: { ...INITIAL.list, items: [summary()], loaded: true }, threads: open ? { [C]: { ...EMPTY_THREAD, loaded: true } } : {} };
  const apply = (frame: ServerFrame) => {
    const fx: Effects = {
      me: 'ann',
      visible: visible ? C : null,
      lastSeen: (id) => lastSeen.get(id),
      seen: (id, seq) => lastSeen.set(id, Math.max(seq, lastSeen.get(id) ?? -1)),
      delivered: (id, seq) => calls.push(`delivered ${id} ${seq}`),
      markRead: (id) => calls.push(`read ${id}`),
      refreshList: () => calls.push('list'),
      refreshDetails: (id) => calls.push(`details ${id}`),
      expireTyping: () => undefined,
      forget: (id) => lastSeen.delete(id),
    };
    state = applyFrame(state, frame, fx);
    fx.after?.();
  };
  return { apply, calls, lastSeen, get state() { return state; } };
}

/** Effects that record nothing (for the frames whose effects a test does not look at). */
const quiet = (): Effects => ({ me: 'ann', visible: null, lastSeen: () => 0, seen: () => undefined, delivered: () => undefined, markRead: () => undefined, refreshList: () => undefined, refreshDetails: () => undefined, expireTyping: () => undefined, forget: () => undefined });

/** `state` with one message of Ann's waiting for its ack in the conversation's thread. */
const withPending = (state: ChatState, clientId: string): ChatState => ({
  ...state,
  threads: { [C]: { ...state.threads[C]!, pending: [{ clientId, conversationId: C, text: 'm1', createdAt: '', state: 'sending' }] } },
});

const created = (m: Message): ServerFrame => ({ type: 'message.created', conversationId: C, seq: m.versionSeq, message: m });
const edited = (m: Message): ServerFrame => ({ type: 'message.edited', conversationId: C, seq: m.versionSeq, message: m });
const deleted = (m: Message): ServerFrame => ({ type: 'message.deleted', conversationId: C, seq: m.versionSeq, message: m });

describe('the web chat state', () => {
  it('counts a message once however often it arrives, and acknowledges its delivery', () => {
    const h = harness(true);
    h.apply(created(message(1)));
    h.apply(created(message(1)));
    h.apply(created(message(2)));
    h.apply(created(message(1)));
    expect(h.state.threads[C]!.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(h.state.list.items[0]!.unread).toBe(2);
    expect(h.state.list.items[0]!.lastMessage!.seq).toBe(2);
    expect(h.calls.filter((c) => c.startsWith('delivered'))).toContain(`delivered ${C} 2`);
  });

  it('keeps the latest version whatever the order: an edit before its creation, a stale edit after a delete', () => {
    const h = harness(true);
    h.apply(edited(message(1, { versionSeq: 3, text: 'edited', editedAt: new Date().toISOString() })));
    h.apply(created(message(1)));
    expect(h.state.threads[C]!.messages).toMatchObject([{ seq: 1, text: 'edited', versionSeq: 3 }]);
    h.apply(deleted(message(1, { versionSeq: 5, text: '', deleted: true })));
    h.apply(edited(message(1, { versionSeq: 4, text: 'late edit' })));
    expect(h.state.threads[C]!.messages).toMatchObject([{ seq: 1, text: '', deleted: true, versionSeq: 5 }]);
  });

  it('uncounts a deleted unread message only if its creation was counted', () => {
    const h = harness(false);
    h.apply(created(message(1)));
    h.apply(created(message(2)));
    expect(h.state.list.items[0]!.unread).toBe(2);
    h.apply(deleted(message(2, { versionSeq: 3, text: '', deleted: true })));
    expect(h.state.list.items[0]!.unread).toBe(1);
    // Created and deleted while away: the resume brings only the tombstone, never counted.
    h.apply(deleted(message(4, { versionSeq: 5, text: '', deleted: true })));
    expect(h.state.list.items[0]!.unread).toBe(1);
  });

  it('counts nothing in the conversation on screen and asks to mark it read', () => {
    const h = harness(true, true);
    h.apply(created(message(1)));
    expect(h.state.list.items[0]!.unread).toBe(0);
    expect(h.calls).toContain(`read ${C}`);
  });

  it('replaces a pending message by its ack, and the event that follows changes nothing', () => {
    const mine = message(1, { author: ann, clientId: 'abc' });
    let state = withPending(harness(true).state, 'abc');
    state = applyFrame(state, { type: 'ack', ref: 'abc', message: mine }, quiet());
    expect(state.threads[C]!.pending).toEqual([]);
    expect(state.threads[C]!.messages.map((m) => m.clientId)).toEqual(['abc']);
    const after = applyFrame(state, created(mine), quiet());
    expect(after.threads[C]).toBe(state.threads[C]);
    // One's own message is never unread.
    expect(after.list.items[0]!.unread).toBe(0);
  });

  it('marks a refused message failed with the reason, with the retry time of a rate limit', () => {
    const state = withPending(harness(true).state, 'x');
    const next = applyFrame(state, { type: 'error', ref: 'x', code: 'rate_limited', detail: 'Too many', retryAfter: 2.2 }, quiet());
    expect(next.threads[C]!.pending).toMatchObject([{ state: 'failed', error: 'Sending too fast: try again in 3 s.' }]);
  });

  it('asks for the list when a message comes for a conversation it does not know', () => {
    const h = harness(false);
    h.apply({ type: 'message.created', conversationId: '200', seq: 1, message: message(1, { conversationId: '200' }) });
    expect(h.calls).toContain('list');
  });

  it('drops a conversation whose resume was refused as not found, and forgets its resume point', () => {
    const h = harness(true);
    h.apply({ type: 'error', conversationId: C, code: 'conversation_not_found', detail: 'Not found' });
    expect(h.state.list.items).toEqual([]);
    expect(h.state.threads[C]).toBeUndefined();
    expect(h.state.removed).toEqual([C]);
    expect(h.lastSeen.has(C)).toBe(false);
  });

  it('keeps live progress over an older fetched summary', () => {
    const live = summary({ lastSeq: 5, unread: 3, lastMessage: message(5) });
    const stale = summary({ lastSeq: 4, unread: 2, lastMessage: message(4), readSeq: 1 });
    expect(newerSummary(live, stale)).toMatchObject({ lastSeq: 5, unread: 3, readSeq: 1 });
    const fresh = summary({ lastSeq: 6, unread: 0, readSeq: 6 });
    expect(newerSummary(live, fresh)).toBe(fresh);
  });

  it('shows ✓✓ on a group message only once every other member has read it', () => {
    const member = (username: string, readSeq: number, deliveredSeq: number) => ({ user: { id: username, username, displayName: username }, role: 'member' as const, joinedAt: '', readSeq, deliveredSeq });
    const group = (others: ReturnType<typeof member>[]): Conversation => ({ id: C, kind: 'group', title: 'g', createdAt: '', lastSeq: 3, members: [member('ann', 3, 3), ...others] });
    const m = message(3, { author: ann });
    expect(receiptOf(m, group([member('bob', 0, 0), member('cat', 3, 3)]), 'ann')).toEqual({ state: 'sent', read: 1, of: 2 });
    expect(receiptOf(m, group([member('bob', 0, 3), member('cat', 3, 3)]), 'ann')).toEqual({ state: 'delivered', read: 1, of: 2 });
    expect(receiptOf(m, group([member('bob', 3, 3), member('cat', 4, 4)]), 'ann')).toEqual({ state: 'read', read: 2, of: 2 });
  });
});
