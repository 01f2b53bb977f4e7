import { checkEntry, checkId, checkInteger, normalize } from '../timeline.entries.js';
import type { TimelineEntry, TimelineStore } from '../timeline.port.js';
import { RingTimeline } from './ring-timeline.js';

/** Options of the in-process store. */
export interface MemoryTimelineStoreOptions {
  /** Entries kept per timeline (default 800, Mastodon's cap). */
  capacity?: number;
  /**
   * Timelines kept before the least recently read one is forgotten (default 100,000): forgotten
   * is absent, so its owner's next read rebuilds it. At a full 800 entries a timeline takes
   * 12.8 kB, so the default bounds the store near 1.3 GB.
   */
  maxTimelines?: number;
}

/**
 * The embedded home-timeline store: each timeline a RingTimeline (two BigInt64Arrays), in a Map
 * whose insertion order is the LRU order. Recency is refreshed by reads and rebuilds only, not by
 * pushes: a timeline that only fan-outs keep writing to belongs to someone who no longer reads it,
 * which is exactly what should be evicted (and moving a Map entry per delivery would double the
 * cost of a fan-out).
 *
 * Everything is synchronous underneath; the `*Sync` methods are for hot paths that would rather
 * not allocate a promise per call. State is per process: behind several processes use the Redis store.
 */
export class MemoryTimelineStore implements TimelineStore {
  readonly capacity: number;
  readonly #maxTimelines: number;
  readonly #timelines = new Map<bigint, RingTimeline>();

  constructor(options: MemoryTimelineStoreOptions = {}) {
    this.capacity = checkInteger(options.capacity ?? 800, 'capacity', 1);
    this.#maxTimelines = checkInteger(options.maxTimelines ?? 100_000, 'maxTimelines', 1);
  }

  /** `push`, synchronously; returns how many timelines took the entry (absent ones, duplicates and too-old entries do not). */
  pushSync(userIds: readonly bigint[], entry: TimelineEntry): number {
    checkEntry(entry);
    const { tweetId, authorId } = entry;
    const capacity = this.capacity;
    let added = 0;
    for (let i = 0; i < userIds.length; i++) {
      const timeline = this.#timelines.get(userIds[i]!);
      if (timeline !== undefined && timeline.insert(tweetId, authorId, capacity)) added++;
    }
    return added;
  }

  /** `range`, synchronously; also marks the timeline as recently used. */
  rangeSync(userId: bigint, limit: number, before?: bigint): TimelineEntry[] | null {
    checkInteger(limit, 'limit', 0);
    if (before !== undefined && typeof before !== 'bigint') throw new RangeError('before must be a bigint');
    const timeline = this.#timelines.get(userId);
    if (timeline === undefined) return null;
    this.#timelines.delete(userId);
    this.#timelines.set(userId, timeline);
    return timeline.read(limit, before);
  }

  /** `replace`, synchronously; evicts the least recently used timeline when there are too many. */
  replaceSync(userId: bigint, entries: readonly TimelineEntry[]): void {
    const timeline = new RingTimeline(normalize(entries, this.capacity));
    this.#timelines.delete(userId);
    this.#timelines.set(userId, timeline);
    if (this.#timelines.size > this.#maxTimelines) {
      // The Map iterates in insertion order: its first key is the least recently used.
      const { value: oldest } = this.#timelines.keys().next() as IteratorYieldResult<bigint>;
      this.#timelines.delete(oldest);
    }
  }

  /** `removeTweet`, synchronously; returns how many timelines held the tweet. */
  removeTweetSync(userIds: readonly bigint[], tweetId: bigint): number {
    checkId(tweetId, 'tweetId');
    let removed = 0;
    for (const userId of userIds) if (this.#timelines.get(userId)?.removeTweet(tweetId)) removed++;
    return removed;
  }

  /** `removeAuthor`, synchronously; returns how many entries were removed. */
  removeAuthorSync(userId: bigint, authorId: bigint): number {
    checkId(authorId, 'authorId');
    return this.#timelines.get(userId)?.removeAuthor(authorId) ?? 0;
  }

  /** `drop`, synchronously. */
  dropSync(userId: bigint): void {
    this.#timelines.delete(userId);
  }

  /** How many timelines exist, exactly. */
  get sizeSync(): number {
    return this.#timelines.size;
  }

  async push(userIds: readonly bigint[], entry: TimelineEntry): Promise<void> {
    this.pushSync(userIds, entry);
  }

  async range(userId: bigint, limit: number, before?: bigint): Promise<TimelineEntry[] | null> {
    return this.rangeSync(userId, limit, before);
  }

  async replace(userId: bigint, entries: readonly TimelineEntry[]): Promise<void> {
    this.replaceSync(userId, entries);
  }

  async removeTweet(userIds: readonly bigint[], tweetId: bigint): Promise<void> {
    this.removeTweetSync(userIds, tweetId);
  }

  async removeAuthor(userId: bigint, authorId: bigint): Promise<void> {
    this.removeAuthorSync(userId, authorId);
  }

  async drop(userId: bigint): Promise<void> {
    this.dropSync(userId);
  }

  async size(): Promise<number> {
    return this.#timelines.size;
  }

  async ping(): Promise<void> {}

  /** Forgets every timeline (frees the memory); the store stays usable, empty. */
  async close(): Promise<void> {
    this.#timelines.clear();
  }
}
