/** One write in flight: the key it routes by (as text) and the epoch it entered in. */
export interface WriteTicket {
  readonly key: string;
  readonly epoch: number;
}

/** Holds back the writes of some keys until it is lifted. */
export interface WriteFence {
  /** Resolves once every write in flight on a fenced key when the fence went up has finished. */
  readonly drained: Promise<void>;
  /** Lets the held-back writes go (they route again, by whatever strategy is current then). */
  lift(): void;
}

interface Drain {
  readonly waiting: Set<WriteTicket>;
  readonly done: () => void;
}

/**
 * Tracks the writes in flight through a sharded database so that resharding can wait for them:
 * `mark` starts an epoch, `drain` waits for the writes in flight now that match, `fence` holds
 * back new writes of some keys and drains those already running. Writes enter and leave
 * synchronously with their routing decision, so no write can route by a strategy and then slip
 * past a fence raised for it.
 */
export class WriteGate {
  readonly #inflight = new Set<WriteTicket>();
  readonly #drains = new Set<Drain>();
  #epoch = 0;
  #fence: { blocks: (key: string) => boolean; lifted: Promise<void> } | undefined;

  /** Writes in flight now. */
  get inflight(): number {
    return this.#inflight.size;
  }

  /** A ticket when the key may be written now, or a promise to await before trying again. */
  tryEnter(key: string): WriteTicket | { wait: Promise<void> } {
    const fence = this.#fence;
    if (fence !== undefined && fence.blocks(key)) return { wait: fence.lifted };
    const ticket = { key, epoch: this.#epoch };
    this.#inflight.add(ticket);
    return ticket;
  }

  /** Ends a write (committed or not). */
  leave(ticket: WriteTicket): void {
    if (!this.#inflight.delete(ticket)) return;
    for (const drain of this.#drains) {
      if (drain.waiting.delete(ticket) && drain.waiting.size === 0) {
        this.#drains.delete(drain);
        drain.done();
      }
    }
  }

  /** Starts a new epoch and answers it: writes entering from now on carry it (or a later one). */
  mark(): number {
    return ++this.#epoch;
  }

  /** Resolves when every write in flight now that `matches` has left; later writes are not awaited. */
  drain(matches: (ticket: WriteTicket) => boolean): Promise<void> {
    const waiting = new Set([...this.#inflight].filter(matches));
    if (waiting.size === 0) return Promise.resolve();
    return new Promise((done) => this.#drains.add({ waiting, done }));
  }

  /** Holds back new writes of the keys `blocks` names and drains theirs in flight. One fence at a time. */
  fence(blocks: (key: string) => boolean): WriteFence {
    if (this.#fence !== undefined) throw new Error('a write fence is already up');
    let lift!: () => void;
    const lifted = new Promise<void>((resolve) => (lift = resolve));
    const fence = { blocks, lifted };
    this.#fence = fence;
    return {
      drained: this.drain((ticket) => blocks(ticket.key)),
      lift: () => {
        if (this.#fence === fence) this.#fence = undefined;
        lift();
      },
    };
  }
}
