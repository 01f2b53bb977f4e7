import type { ChatEvent } from './chat.model.js';

/** A message event: the only events with a place in a conversation's order. */
export type SeqEvent = Extract<ChatEvent, { seq: number }>;

/** True for message.created/edited/deleted. */
export const isSeqEvent = (event: { type: string }): event is SeqEvent => event.type.startsWith('message.');

/** Reads a conversation's events after a seq from the store (the service's `eventsSince`, for one user). */
export type ReadEvents = (conversationId: string, afterSeq: number, limit: number) => Promise<ChatEvent[]>;

/** One conversation's place on one socket. */
interface Cursor {
  /** Every event up to here was written to the socket (or is superseded in the store). */
  seq: number;
  /** Where the contiguous run this socket sent starts (events in (from, seq] were written). */
  from: number;
  /** Events that came early (a gap before them) or during a fill, by seq. */
  pending: Map<number, SeqEvent> | undefined;
  /** Events in (skipFrom, skipTo] were already written: a resume asked from before them. */
  skipFrom: number;
  skipTo: number;
  filling: boolean;
  /** Started by a live event while a resume may still come: nothing is written until it does (or the wait ends). */
  provisional: boolean;
  /** Events held so far (a fill compares it across a store read). */
  held: number;
  /** Set when a gap was seen: a fill starts unless the missing events arrive first. */
  gapTimer: NodeJS.Timeout | undefined;
}

export interface CursorOptions {
  read: ReadEvents;
  /** Writes an event to the socket. */
  write(event: SeqEvent): void;
  /** How long a gap may wait for its events before they are read from the store. */
  gapWaitMs: number;
  /** Events per store read. */
  pageSize: number;
  /** Resolves once the socket has room for another page (a replay never outruns the client). */
  roomForMore(): Promise<boolean>;
  onError(conversationId: string, error: unknown): void;
}

/** Pending events kept per conversation before they are dropped and read from the store instead. */
const MAX_PENDING = 1_000;
/** Store reads per fill: ample for the pages a resume may take, bounded should a read misbehave. */
const MAX_PAGES = 10_000;

/**
 * Exactly once and in seq order, per socket and conversation. Live events come through pub/sub,
 * which may reorder (two processes publishing into one conversation) or lose (a node restarting);
 * the store has them all, and every seq below a committed one is committed (one counter per
 * conversation, taken in the writing transaction). So: an event at the cursor's next seq is written;
 * one at or below it was written already and is dropped; one further ahead waits a moment for those
 * before it, then they are read from the store ("fill"). A resume is a fill from the client's seq.
 * Store reads return a message once, at its last change (version_seq), so a fill may jump over
 * seqs superseded later: the cursor then takes the last seq read.
 */
export class ConversationCursors {
  readonly #cursors = new Map<string, Cursor>();
  readonly #options: CursorOptions;
  #closed = false;
  /** Until the client's resume is handled (or the wait ends), live events of unknown conversations are held. */
  #awaitingResume = true;

  constructor(options: CursorOptions) {
    this.#options = options;
  }

  /** The conversations this socket has a place in, and that place. */
  positions(): Map<string, number> {
    return new Map([...this.#cursors].map(([id, c]) => [id, c.seq]));
  }

  /** Takes a live event for the socket. */
  offer(event: SeqEvent): void {
    if (this.#closed) return;
    const cursor = this.#cursors.get(event.conversationId);
    if (cursor === undefined) {
      // The first event of a conversation the client did not resume: it starts the run here, once
      // the client's resume (which may list it) is handled; a reconnecting client's first frame
      // would otherwise race the live events and get them before what it missed.
      const started = fresh(event.seq - 1);
      this.#cursors.set(event.conversationId, started);
      if (!this.#awaitingResume) return this.#write(started, event);
      started.provisional = true;
      this.#hold(started, event);
      return;
    }
    if (event.seq <= cursor.seq) return;
    if (cursor.provisional) return this.#hold(cursor, event);
    if (cursor.filling || event.seq > cursor.seq + 1) {
      this.#hold(cursor, event);
      if (!cursor.filling && cursor.gapTimer === undefined) {
        cursor.gapTimer = setTimeout(() => {
          cursor.gapTimer = undefined;
          void this.#fill(event.conversationId, cursor);
        }, this.#options.gapWaitMs);
      }
      return;
    }
    this.#write(cursor, event);
    this.#drain(cursor, false);
    // The missing events came after all: no read needed.
    if (cursor.pending === undefined && cursor.gapTimer !== undefined) {
      clearTimeout(cursor.gapTimer);
      cursor.gapTimer = undefined;
    }
  }

  /**
   * Starts a conversation at a seq nobody sent this socket yet (conversation.updated: the client was
   * added, or created it), unless the socket already has a place in it.
   */
  anchor(conversationId: string, lastSeq: number): void {
    if (!this.#cursors.has(conversationId)) this.#cursors.set(conversationId, fresh(lastSeq));
  }

  /**
   * The client's resume was handled (or it did not send one in time): conversations started by live
   * events meanwhile begin at the first event held, in order.
   */
  endResumeWait(): void {
    if (!this.#awaitingResume) return;
    this.#awaitingResume = false;
    for (const [conversationId, cursor] of this.#cursors) {
      if (!cursor.provisional) continue;
      cursor.provisional = false;
      const first = Math.min(...(cursor.pending?.keys() ?? []));
      if (Number.isFinite(first)) cursor.seq = cursor.from = first - 1;
      this.#drain(cursor, false);
      // A gap among the held events (they raced each other): read it from the store.
      if (cursor.pending !== undefined) void this.#fill(conversationId, cursor);
    }
  }

  /** Forgets a conversation (the user left or was removed). */
  forget(conversationId: string): void {
    const cursor = this.#cursors.get(conversationId);
    if (cursor?.gapTimer !== undefined) clearTimeout(cursor.gapTimer);
    this.#cursors.delete(conversationId);
  }

  /**
   * Writes every event after `afterSeq` of a conversation from the store, then what arrived live
   * meanwhile, without writing anything twice; resolves with the conversation's seq then. Rejects
   * when the store refuses (not a member).
   */
  async resume(conversationId: string, afterSeq: number): Promise<number> {
    let cursor = this.#cursors.get(conversationId);
    if (cursor === undefined) this.#cursors.set(conversationId, (cursor = fresh(afterSeq)));
    else if (cursor.provisional) {
      // Live events held for this resume: it starts where the client is; the fill writes them in order.
      cursor.provisional = false;
      cursor.seq = cursor.from = afterSeq;
    } else if (afterSeq >= cursor.seq) {
      // The client is ahead of what this socket sent: nothing here for it before afterSeq.
      cursor.seq = cursor.from = afterSeq;
      cursor.pending?.forEach((_e, seq) => seq <= afterSeq && cursor!.pending!.delete(seq));
    } else if (afterSeq < cursor.from) {
      // Asked from before the run this socket sent (live events raced the resume): replay what
      // came before it, and not the run again.
      cursor.skipFrom = cursor.from;
      cursor.skipTo = cursor.seq;
      cursor.seq = cursor.from = afterSeq;
    }
    // (afterSeq inside the run already sent: the socket wrote those; nothing to send again.)
    const ok = await this.#fill(conversationId, cursor, true);
    if (!ok.done) throw ok.error;
    return cursor.seq;
  }

  /** Stops timers; nothing is written afterwards. */
  close(): void {
    this.#closed = true;
    for (const cursor of this.#cursors.values()) if (cursor.gapTimer !== undefined) clearTimeout(cursor.gapTimer);
    this.#cursors.clear();
  }

  #hold(cursor: Cursor, event: SeqEvent): void {
    cursor.pending ??= new Map();
    // Past the bound, what is held is dropped: the fill reads it from the store instead.
    if (cursor.pending.size >= MAX_PENDING) cursor.pending.clear();
    cursor.pending.set(event.seq, event);
    cursor.held++;
  }

  #write(cursor: Cursor, event: SeqEvent): void {
    const skipped = event.seq > cursor.skipFrom && event.seq <= cursor.skipTo;
    cursor.seq = event.seq;
    if (cursor.skipTo > 0 && event.seq >= cursor.skipTo) cursor.skipFrom = cursor.skipTo = 0;
    if (!skipped) this.#options.write(event);
  }

  /** Writes held events that are next in order; with `all`, every held event (the store has no more). */
  #drain(cursor: Cursor, all: boolean): void {
    const pending = cursor.pending;
    if (pending === undefined) return;
    for (const seq of [...pending.keys()].sort((a, b) => a - b)) {
      const event = pending.get(seq)!;
      if (seq <= cursor.seq) pending.delete(seq);
      else if (all || seq === cursor.seq + 1) {
        pending.delete(seq);
        this.#write(cursor, event);
      } else break;
    }
    if (pending.size === 0) cursor.pending = undefined;
  }

  async #fill(conversationId: string, cursor: Cursor, resuming = false): Promise<{ done: true } | { done: false; error: unknown }> {
    if (cursor.filling && !resuming) return { done: true };
    // A resume during a fill: the running fill picks the new seq up on its next read.
    if (cursor.filling) {
      while (cursor.filling && !this.#closed) await new Promise((r) => setTimeout(r, 5));
      if (this.#closed) return { done: true };
    }
    cursor.filling = true;
    if (cursor.gapTimer !== undefined) clearTimeout(cursor.gapTimer);
    cursor.gapTimer = undefined;
    const { read, pageSize } = this.#options;
    try {
      for (let page = 0; page < MAX_PAGES && !this.#closed; page++) {
        const heldBefore = cursor.held;
        const events = await read(conversationId, cursor.seq, pageSize);
        if (this.#closed) break;
        for (const event of events) if (isSeqEvent(event) && event.seq > cursor.seq) this.#write(cursor, event);
        this.#drain(cursor, false);
        if (events.length === pageSize) {
          if (!(await this.#options.roomForMore())) break;
          continue;
        }
        // Caught up with the store as of that read. Held events that arrived during it may have
        // been committed after it: read again. Held before it and still not read: the store will
        // not give them to this user (a genuine gap), so they go out as they are.
        if (cursor.pending === undefined) break;
        if (cursor.held === heldBefore) {
          this.#drain(cursor, true);
          break;
        }
      }
      return { done: true };
    } catch (error) {
      if (!resuming) this.#options.onError(conversationId, error);
      this.forget(conversationId);
      return { done: false, error };
    } finally {
      cursor.filling = false;
    }
  }
}

function fresh(seq: number): Cursor {
  return { seq, from: seq, pending: undefined, skipFrom: 0, skipTo: 0, filling: false, provisional: false, held: 0, gapTimer: undefined };
}
