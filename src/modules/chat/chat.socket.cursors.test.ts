import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/helpers/poll.js';
import type { ChatEvent } from './chat.model.js';
import { ConversationCursors, type SeqEvent } from './chat.socket.cursors.js';

const C = '42';
const event = (seq: number, type: SeqEvent['type'] = 'message.created', messageSeq = seq): SeqEvent =>
  ({ type, conversationId: C, seq, message: { seq: messageSeq, versionSeq: seq } }) as unknown as SeqEvent;

/** A conversation's store: one entry per message at its last change, as the service's eventsSince reads it. */
function store() {
  const latest = new Map<number, SeqEvent>();
  let reads = 0;
  return {
    commit(e: SeqEvent) {
      latest.set((e.message as { seq: number }).seq, e);
      return e;
    },
    get reads() {
      return reads;
    },
    async read(_c: string, after: number, limit: number): Promise<ChatEvent[]> {
      reads++;
      await new Promise((r) => setTimeout(r, 5));
      return [...latest.values()].filter((e) => e.seq > after).sort((a, b) => a.seq - b.seq).slice(0, limit);
    },
  };
}

function cursors(s: ReturnType<typeof store>, pageSize = 100) {
  const written: number[] = [];
  const errors: unknown[] = [];
  const c = new ConversationCursors({ read: (...a) => s.read(...a), write: (e) => written.push(e.seq), gapWaitMs: 20, pageSize, roomForMore: async () => true, onError: (_c, e) => errors.push(e) });
  return { c, written, errors };
}

describe('ConversationCursors: exactly once, in seq order, per socket and conversation', () => {
  it('writes live events in order and drops repeats', () => {
    const s = store();
    const { c, written } = cursors(s);
    c.anchor(C, 0);
    for (const seq of [1, 2, 2, 1, 3]) c.offer(s.commit(event(seq)));
    expect(written).toEqual([1, 2, 3]);
    expect(s.reads).toBe(0);
  });

  it('holds an early event until the one before it arrives, without reading the store', async () => {
    const s = store();
    const { c, written } = cursors(s);
    c.anchor(C, 0);
    const [one, two] = [s.commit(event(1)), s.commit(event(2))];
    c.offer(two);
    expect(written).toEqual([]);
    c.offer(one);
    expect(written).toEqual([1, 2]);
    await new Promise((r) => setTimeout(r, 40));
    expect(s.reads).toBe(0);
  });

  it('reads a lost event from the store after a short wait', async () => {
    const s = store();
    const { c, written } = cursors(s);
    c.anchor(C, 0);
    s.commit(event(1));
    c.offer(s.commit(event(2)));
    expect(await waitFor(() => written.length === 2, { timeoutMs: 2_000 })).toBe(true);
    expect(written).toEqual([1, 2]);
    c.offer(event(1));
    c.offer(s.commit(event(3)));
    expect(written).toEqual([1, 2, 3]);
  });

  it('resumes from the store in pages while live events arrive, writing each once', async () => {
    const s = store();
    const { c, written } = cursors(s, 3);
    for (let seq = 1; seq <= 10; seq++) s.commit(event(seq));
    const resumed = c.resume(C, 2);
    // Live events during the replay: some the store will return, some after its last read.
    c.offer(event(9));
    c.offer(s.commit(event(11)));
    c.offer(event(10));
    setTimeout(() => c.offer(s.commit(event(12))), 1);
    expect(await resumed).toBeGreaterThanOrEqual(11);
    expect(await waitFor(() => written.length === 10, { timeoutMs: 2_000 })).toBe(true);
    expect(written).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('holds live events that come before the client’s resume, then writes them after what it missed', async () => {
    const s = store();
    const { c, written } = cursors(s);
    for (let seq = 1; seq <= 6; seq++) s.commit(event(seq));
    // Live events reach a new socket before the reconnecting client's resume frame.
    c.offer(s.commit(event(7)));
    c.offer(s.commit(event(8)));
    expect(written).toEqual([]);
    expect(await c.resume(C, 3)).toBe(8);
    expect(written).toEqual([4, 5, 6, 7, 8]);
  });

  it('starts a conversation nobody resumed at its first held event once the wait ends', () => {
    const s = store();
    const { c, written } = cursors(s);
    for (const seq of [5, 6]) c.offer(s.commit(event(seq)));
    expect(written).toEqual([]);
    c.endResumeWait();
    expect(written).toEqual([5, 6]);
    c.offer(s.commit(event(7)));
    expect(written).toEqual([5, 6, 7]);
  });

  it('answers a later resume from before the live events it already wrote without writing them twice', async () => {
    const s = store();
    const { c, written } = cursors(s);
    c.endResumeWait();
    for (let seq = 1; seq <= 6; seq++) s.commit(event(seq));
    // Live events were written (the wait was over) before the client asked to resume from before them.
    c.offer(s.commit(event(7)));
    c.offer(s.commit(event(8)));
    expect(await c.resume(C, 3)).toBe(8);
    expect(written).toEqual([7, 8, 4, 5, 6]);
    c.offer(s.commit(event(9)));
    expect(written).toEqual([7, 8, 4, 5, 6, 9]);
  });

  it('takes a message at its last change on resume (an edit supersedes its creation)', async () => {
    const s = store();
    const { c, written } = cursors(s);
    s.commit(event(1));
    s.commit(event(2));
    s.commit(event(3, 'message.edited', 1));
    expect(await c.resume(C, 0)).toBe(3);
    expect(written).toEqual([2, 3]);
  });

  it('rejects a resume the store refuses and forgets the conversation', async () => {
    const { c } = cursors({ read: () => Promise.reject(new Error('not a member')) } as unknown as ReturnType<typeof store>);
    await expect(c.resume(C, 0)).rejects.toThrow('not a member');
    expect(c.positions().has(C)).toBe(false);
  });
});
