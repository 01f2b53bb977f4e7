import type { TimelineEntry } from '../timeline.port.js';

/**
 * The reference the stores are checked against: each timeline a plain array, newest first, every
 * rule spelt out as directly as possible (no shared code with the adapters).
 */
export class TimelineModel {
  readonly #timelines = new Map<bigint, TimelineEntry[]>();

  constructor(readonly capacity: number) {}

  push(userIds: readonly bigint[], entry: TimelineEntry): void {
    for (const userId of userIds) {
      const list = this.#timelines.get(userId);
      if (list === undefined || list.some((e) => e.tweetId === entry.tweetId)) continue;
      list.push({ ...entry });
      list.sort((a, b) => (a.tweetId > b.tweetId ? -1 : 1));
      // Over capacity, the oldest goes: possibly the entry just added.
      if (list.length > this.capacity) list.pop();
    }
  }

  range(userId: bigint, limit: number, before?: bigint): TimelineEntry[] | null {
    const list = this.#timelines.get(userId);
    if (list === undefined) return null;
    return list.filter((e) => before === undefined || e.tweetId < before).slice(0, limit);
  }

  replace(userId: bigint, entries: readonly TimelineEntry[]): void {
    const seen = new Set<bigint>();
    const firsts = entries.filter((e) => !seen.has(e.tweetId) && seen.add(e.tweetId));
    const sorted = firsts.map((e) => ({ ...e })).sort((a, b) => (a.tweetId > b.tweetId ? -1 : 1));
    this.#timelines.set(userId, sorted.slice(0, this.capacity));
  }

  removeTweet(userIds: readonly bigint[], tweetId: bigint): void {
    for (const userId of userIds) {
      const list = this.#timelines.get(userId);
      if (list !== undefined) this.#timelines.set(userId, list.filter((e) => e.tweetId !== tweetId));
    }
  }

  removeAuthor(userId: bigint, authorId: bigint): void {
    const list = this.#timelines.get(userId);
    if (list !== undefined) this.#timelines.set(userId, list.filter((e) => e.authorId !== authorId));
  }

  drop(userId: bigint): void {
    this.#timelines.delete(userId);
  }

  size(): number {
    return this.#timelines.size;
  }
}
