/**
 * The last sequence number heard from each origin (each near cache numbers its messages 1, 2, 3...),
 * to notice messages that never arrived: pub/sub drops whatever is published while a subscriber
 * reconnects, and says nothing about it. The bus keeps one publisher's order on a channel, so a
 * number that is not the last one plus one means something was lost on the way.
 */
export class SequenceTracker {
  readonly #last = new Map<string, { seq: number; at: number }>();
  readonly #own: string;

  /**
   * `own` starts at 0, heard: this instance's own first message must then arrive as 1, so one
   * published before the subscription took effect counts as a gap, and so does anything else
   * published in that window.
   */
  constructor(own: string, now: number) {
    this.#own = own;
    this.#last.set(own, { seq: 0, at: now });
  }

  /**
   * Records message `seq` of `origin`; false when an earlier one of a known origin never arrived
   * (or one arrived twice). An origin heard for the first time is taken as it comes: what it
   * published before this instance listened did not concern it.
   */
  accept(origin: string, seq: number, now: number): boolean {
    const last = this.#last.get(origin);
    this.#last.set(origin, { seq: Math.max(seq, last?.seq ?? 0), at: now });
    return last === undefined || seq === last.seq + 1;
  }

  /** Forgets origins silent since before `before` (stopped processes), never this instance itself. */
  forgetSilentSince(before: number): void {
    for (const [origin, last] of this.#last) {
      if (origin !== this.#own && last.at < before) this.#last.delete(origin);
    }
  }

  /** Origins currently tracked, this instance included. */
  get size(): number {
    return this.#last.size;
  }
}
