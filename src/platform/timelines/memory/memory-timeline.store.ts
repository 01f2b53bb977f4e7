import { checkEntry, checkId, checkInteger, normalize } from '../timeline.entries.js';
import type { LocalTimelines, TimelineEntry, TimelineStore } from '../timeline.port.js';
import { UserSlots } from '../user-slots.js';
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
  /** The numbering of users by slot, shared with the feed's follower graph (default: the store's own). */
  slots?: UserSlots;
}

/**
 * The embedded home-timeline store: each timeline a RingTimeline (two BigInt64Arrays) in an array
 * indexed by the user's slot (UserSlots), so that a fan-out reaches a follower's timeline by array
 * index; a Map of slots whose insertion order is the LRU order decides evictions. Recency is
 * refreshed by reads and rebuilds only, not by pushes: a timeline that only fan-outs keep writing
 * to belongs to someone who no longer reads it, which is exactly what should be evicted (and
 * moving a Map entry per delivery would double the cost of a fan-out).
 *
 * Everything is synchronous underneath; the `*Sync` methods and `local` are for hot paths that
 * would rather not allocate a promise per call. State is per process: behind several processes
 * use the Redis store.
 */
export class MemoryTimelineStore implements TimelineStore, LocalTimelines {
  readonly capacity: number;
  readonly slots: UserSlots;
  readonly #maxTimelines: number;
  /** By slot; undefined where the user has no timeline. */
  readonly #rings: (RingTimeline | undefined)[] = [];
  /** Slots holding a timeline, least recently read or rebuilt first. */
  readonly #recency = new Map<number, true>();

  constructor(options: MemoryTimelineStoreOptions = {}) {
    this.capacity = checkInteger(options.capacity ?? 800, 'capacity', 1);
    this.#maxTimelines = checkInteger(options.maxTimelines ?? 100_000, 'maxTimelines', 1);
    this.slots = options.slots ?? new UserSlots();
  }

  /** This store, as fan-out running in this process sees it. */
  get local(): LocalTimelines {
    return this;
  }

  pushSlot(slot: number, tweetId: bigint, authorId: bigint): boolean {
    const ring = this.#rings[slot];
    return ring !== undefined && ring.insert(tweetId, authorId, this.capacity);
  }

  fullFloor(slot: number): bigint | null | undefined {
    const ring = this.#rings[slot];
    if (ring === undefined) return undefined;
    return ring.length < this.capacity ? null : ring.oldest();
  }

  scan(userId: bigint, before: bigint | undefined, visit: (tweetId: bigint, authorId: bigint) => boolean): boolean | undefined {
    const slot = this.slots.find(userId);
    const ring = slot < 0 ? undefined : this.#rings[slot];
    if (ring === undefined) return undefined;
    this.#recency.delete(slot);
    this.#recency.set(slot, true);
    return ring.scan(before, visit);
  }

  /** `push`, synchronously; returns how many timelines took the entry (absent ones, duplicates and too-old entries do not). */
  pushSync(userIds: readonly bigint[], entry: TimelineEntry): number {
    checkEntry(entry);
    const { tweetId, authorId } = entry;
    let added = 0;
    for (let i = 0; i < userIds.length; i++) {
      const slot = this.slots.find(userIds[i]!);
      if (slot >= 0 && this.pushSlot(slot, tweetId, authorId)) added++;
    }
    return added;
  }

  /** `range`, synchronously; also marks the timeline as recently used. */
  rangeSync(userId: bigint, limit: number, before?: bigint): TimelineEntry[] | null {
    checkInteger(limit, 'limit', 0);
    if (before !== undefined && typeof before !== 'bigint') throw new RangeError('before must be a bigint');
    const slot = this.slots.find(userId);
    const ring = slot < 0 ? undefined : this.#rings[slot];
    if (ring === undefined) return null;
    this.#recency.delete(slot);
    this.#recency.set(slot, true);
    return ring.read(limit, before);
  }

  /** `replace`, synchronously; evicts the least recently used timeline when there are too many. */
  replaceSync(userId: bigint, entries: readonly TimelineEntry[]): void {
    checkId(userId, 'userId');
    const ring = new RingTimeline(normalize(entries, this.capacity));
    const slot = this.slots.slotOf(userId);
    this.#rings[slot] = ring;
    this.#recency.delete(slot);
    this.#recency.set(slot, true);
    if (this.#recency.size > this.#maxTimelines) {
      // The Map iterates in insertion order: its first key is the least recently used.
      const { value: oldest } = this.#recency.keys().next() as IteratorYieldResult<number>;
      this.#forget(oldest);
    }
  }

  /** `removeTweet`, synchronously; returns how many timelines held the tweet. */
  removeTweetSync(userIds: readonly bigint[], tweetId: bigint): number {
    checkId(tweetId, 'tweetId');
    let removed = 0;
    for (const userId of userIds) if (this.#ring(userId)?.removeTweet(tweetId)) removed++;
    return removed;
  }

  /** `removeAuthor`, synchronously; returns how many entries were removed. */
  removeAuthorSync(userId: bigint, authorId: bigint): number {
    checkId(authorId, 'authorId');
    return this.#ring(userId)?.removeAuthor(authorId) ?? 0;
  }

  /** `drop`, synchronously. */
  dropSync(userId: bigint): void {
    const slot = this.slots.find(userId);
    if (slot >= 0) this.#forget(slot);
  }

  /** How many timelines exist, exactly. */
  get sizeSync(): number {
    return this.#recency.size;
  }

  #ring(userId: bigint): RingTimeline | undefined {
    const slot = this.slots.find(userId);
    return slot < 0 ? undefined : this.#rings[slot];
  }

  #forget(slot: number): void {
    this.#rings[slot] = undefined;
    this.#recency.delete(slot);
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
    return this.#recency.size;
  }

  async ping(): Promise<void> {}

  /** Forgets every timeline (frees the memory); the store stays usable, empty. */
  async close(): Promise<void> {
    this.#rings.length = 0;
    this.#recency.clear();
  }
}
