/**
 * The recent events of one user, for `Last-Event-ID` replay: the last `capacity` formatted events
 * and `floor`, the id up to which the log is no longer complete (evicted, or from before the log
 * existed). A client that last saw an id at or above the floor can be brought up to date exactly.
 */
export class EventLog {
  readonly #capacity: number;
  readonly #entries: { id: number; chunk: string }[] = [];
  #floor: number;

  constructor(capacity: number, floor: number) {
    this.#capacity = capacity;
    this.#floor = floor;
  }

  /** Records an event; ids must increase. */
  append(id: number, chunk: string): void {
    if (this.#capacity === 0) {
      this.#floor = id;
      return;
    }
    this.#entries.push({ id, chunk });
    if (this.#entries.length > this.#capacity) this.#floor = this.#entries.shift()!.id;
  }

  /** The id of the newest event known, or the floor: where a client that is up to date stands. */
  get position(): number {
    return this.#entries.at(-1)?.id ?? this.#floor;
  }

  /**
   * The events after `lastId`, oldest first; null when they cannot all be given: the id is older
   * than the log, or newer than anything this log issued (another instance's, or a restart's).
   */
  since(lastId: number): string[] | null {
    if (lastId < this.#floor || lastId > this.position) return null;
    const out: string[] = [];
    for (const e of this.#entries) if (e.id > lastId) out.push(e.chunk);
    return out;
  }
}
