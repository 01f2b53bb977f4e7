import type { Tweet } from '../feed/index.js';

/** Reads the newest tweets of a timeline (newest first). */
export type NewestTweets = () => Promise<Tweet[]>;

interface Poll {
  listeners: Set<(tweets: Tweet[]) => void>;
  timer: NodeJS.Timeout;
  /** The highest id already seen; undefined until the first read. */
  seen: bigint | undefined;
  running: boolean;
}

/**
 * The public and hashtag streams: while at least one socket listens to a timeline, this process
 * reads its newest tweets every `intervalMs` and hands out the new ones, oldest first. A timeline
 * nobody listens to costs nothing; one with listeners costs one indexed read per interval,
 * however many listen. Posts from either API, on any process, show up (the database is the source).
 */
export class TimelinePollers {
  readonly #polls = new Map<string, Poll>();
  readonly #intervalMs: number;
  readonly #maxTimelines: number;
  readonly #onError: (error: unknown) => void;

  constructor(options: { intervalMs: number; maxTimelines: number; onError: (error: unknown) => void }) {
    this.#intervalMs = options.intervalMs;
    this.#maxTimelines = options.maxTimelines;
    this.#onError = options.onError;
  }

  /** Listens to a timeline (by key); null when too many timelines are polled already. */
  subscribe(key: string, read: NewestTweets, listener: (tweets: Tweet[]) => void): (() => void) | null {
    let poll = this.#polls.get(key);
    if (poll === undefined) {
      if (this.#polls.size >= this.#maxTimelines) return null;
      const created: Poll = { listeners: new Set(), seen: undefined, running: false, timer: setInterval(() => void this.#tick(created, read), this.#intervalMs).unref() };
      poll = created;
      this.#polls.set(key, poll);
      void this.#tick(poll, read);
    }
    const active = poll;
    active.listeners.add(listener);
    return () => {
      active.listeners.delete(listener);
      if (active.listeners.size === 0 && this.#polls.get(key) === active) {
        clearInterval(active.timer);
        this.#polls.delete(key);
      }
    };
  }

  async #tick(poll: Poll, read: NewestTweets): Promise<void> {
    if (poll.running) return;
    poll.running = true;
    try {
      const newest = await read();
      const fresh = poll.seen === undefined ? [] : newest.filter((t) => BigInt(t.id) > poll.seen!).reverse();
      if (newest.length > 0) poll.seen = newest.reduce((max, t) => (BigInt(t.id) > max ? BigInt(t.id) : max), poll.seen ?? 0n);
      else poll.seen ??= 0n;
      if (fresh.length > 0) for (const listener of poll.listeners) listener(fresh);
    } catch (error) {
      this.#onError(error);
    } finally {
      poll.running = false;
    }
  }

  /** Stops every poll (shutdown). */
  close(): void {
    for (const poll of this.#polls.values()) clearInterval(poll.timer);
    this.#polls.clear();
  }
}
