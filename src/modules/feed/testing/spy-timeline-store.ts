import type { TimelineEntry, TimelineStore } from '../../../platform/timelines/index.js';

/** One call made to the store. */
export interface StoreCall {
  method: 'push' | 'replace' | 'removeTweet' | 'removeAuthor' | 'drop';
  users: bigint[];
}

/** A store that records the writes made to it and can run a hook before a rebuild lands. */
export class SpyTimelineStore implements TimelineStore {
  readonly calls: StoreCall[] = [];
  /** Runs inside `replace`, before it reaches the store (to commit a tweet "during" a rebuild). */
  beforeReplace: ((userId: bigint) => Promise<void>) | undefined;
  readonly #inner: TimelineStore;

  constructor(inner: TimelineStore) {
    this.#inner = inner;
  }

  get capacity(): number {
    return this.#inner.capacity;
  }

  /** The calls of one method, and forgets them all. */
  take(method: StoreCall['method']): bigint[][] {
    const picked = this.calls.filter((c) => c.method === method).map((c) => c.users);
    this.calls.length = 0;
    return picked;
  }

  push(userIds: readonly bigint[], entry: TimelineEntry): Promise<void> {
    this.calls.push({ method: 'push', users: [...userIds] });
    return this.#inner.push(userIds, entry);
  }
  range(userId: bigint, limit: number, before?: bigint): Promise<TimelineEntry[] | null> {
    return this.#inner.range(userId, limit, before);
  }
  async replace(userId: bigint, entries: readonly TimelineEntry[]): Promise<void> {
    const hook = this.beforeReplace;
    this.beforeReplace = undefined;
    await hook?.(userId);
    this.calls.push({ method: 'replace', users: [userId] });
    return this.#inner.replace(userId, entries);
  }
  removeTweet(userIds: readonly bigint[], tweetId: bigint): Promise<void> {
    this.calls.push({ method: 'removeTweet', users: [...userIds] });
    return this.#inner.removeTweet(userIds, tweetId);
  }
  removeAuthor(userId: bigint, authorId: bigint): Promise<void> {
    this.calls.push({ method: 'removeAuthor', users: [userId] });
    return this.#inner.removeAuthor(userId, authorId);
  }
  drop(userId: bigint): Promise<void> {
    this.calls.push({ method: 'drop', users: [userId] });
    return this.#inner.drop(userId);
  }
  size(): Promise<number> {
    return this.#inner.size();
  }
  ping(): Promise<void> {
    return this.#inner.ping();
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}
