import type { TimelineEntry } from '../timeline.port.js';

/** The first allocation of a timeline that grows from empty: small, as most timelines stay short for a while. */
const FIRST_ALLOCATION = 8;

/**
 * One timeline: tweet ids and author ids in two parallel BigInt64Arrays (16 bytes per entry, no
 * object per entry), sorted ascending as a ring: logical index 0 is the oldest entry, at physical
 * slot `head`; `length - 1` the newest. Ascending, because a fan-out almost always brings the
 * newest tweet: it is then one comparison and one write at the end of the ring, and when the
 * timeline is full that write overwrites the oldest entry (the trim) in the same slot, O(1).
 * Anything else (a late tweet, a removal) shifts the shorter side of the ring.
 *
 * The arrays grow by doubling up to `capacity`, so a full timeline holds exactly `capacity`
 * entries and a partial one at most twice what it uses.
 */
export class RingTimeline {
  #ids: BigInt64Array;
  #authors: BigInt64Array;
  #head = 0;
  #length = 0;

  /** A timeline holding `entries`, which must be sorted newest first, deduplicated and trimmed. */
  constructor(entries: readonly TimelineEntry[] = []) {
    const n = entries.length;
    this.#ids = new BigInt64Array(n);
    this.#authors = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const e = entries[n - 1 - i]!;
      this.#ids[i] = e.tweetId;
      this.#authors[i] = e.authorId;
    }
    this.#length = n;
  }

  /** How many entries it holds. */
  get length(): number {
    return this.#length;
  }

  /** The oldest tweet id held (undefined when empty). */
  oldest(): bigint | undefined {
    return this.#length === 0 ? undefined : this.#ids[this.#head];
  }

  /** The physical slot of logical index `i` (0 = oldest). */
  #slot(i: number): number {
    const s = this.#head + i;
    const size = this.#ids.length;
    return s >= size ? s - size : s;
  }

  /** The number of entries older than `id` (a lower bound: the logical index of `id` or of its successor). */
  #olderThan(id: bigint): number {
    let lo = 0;
    let hi = this.#length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#ids[this.#slot(mid)]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Inserts in order unless the tweet is already there, or is older than everything in a full
   * timeline. Returns whether it was inserted.
   */
  insert(tweetId: bigint, authorId: bigint, capacity: number): boolean {
    const n = this.#length;
    if (n === 0 || this.#ids[this.#slot(n - 1)]! < tweetId) {
      this.#append(tweetId, authorId, capacity);
      return true;
    }
    let at = this.#olderThan(tweetId);
    if (this.#ids[this.#slot(at)] === tweetId) return false;
    if (n >= capacity) {
      if (at === 0) return false;
      // Full: the oldest falls off, which frees the slot the insertion needs.
      this.#removeAt(0);
      at--;
    } else if (n === this.#ids.length) {
      this.#grow(capacity);
    }
    this.#insertAt(at, tweetId, authorId);
    return true;
  }

  #append(tweetId: bigint, authorId: bigint, capacity: number): void {
    if (this.#length >= capacity) {
      // Full (the arrays are exactly `capacity` long): the newest takes the oldest's slot.
      const h = this.#head;
      this.#ids[h] = tweetId;
      this.#authors[h] = authorId;
      this.#head = h + 1 === this.#ids.length ? 0 : h + 1;
      return;
    }
    if (this.#length === this.#ids.length) this.#grow(capacity);
    const s = this.#slot(this.#length++);
    this.#ids[s] = tweetId;
    this.#authors[s] = authorId;
  }

  /** Reallocates (doubling, at most `capacity`) with the ring unrolled from slot 0. */
  #grow(capacity: number): void {
    const size = Math.min(capacity, Math.max(FIRST_ALLOCATION, this.#ids.length * 2));
    const ids = new BigInt64Array(size);
    const authors = new BigInt64Array(size);
    const firstRun = Math.min(this.#length, this.#ids.length - this.#head);
    ids.set(this.#ids.subarray(this.#head, this.#head + firstRun));
    authors.set(this.#authors.subarray(this.#head, this.#head + firstRun));
    ids.set(this.#ids.subarray(0, this.#length - firstRun), firstRun);
    authors.set(this.#authors.subarray(0, this.#length - firstRun), firstRun);
    this.#ids = ids;
    this.#authors = authors;
    this.#head = 0;
  }

  #move(from: number, to: number): void {
    const f = this.#slot(from);
    const t = this.#slot(to);
    this.#ids[t] = this.#ids[f]!;
    this.#authors[t] = this.#authors[f]!;
  }

  /** Inserts at logical index `at` (there is a free slot), shifting the shorter side. */
  #insertAt(at: number, tweetId: bigint, authorId: bigint): void {
    const n = this.#length;
    if (at < n - at) {
      // Shift the older part one slot down: the head moves back.
      this.#head = this.#head === 0 ? this.#ids.length - 1 : this.#head - 1;
      for (let i = 0; i < at; i++) this.#move(i + 1, i);
    } else {
      for (let i = n; i > at; i--) this.#move(i - 1, i);
    }
    const s = this.#slot(at);
    this.#ids[s] = tweetId;
    this.#authors[s] = authorId;
    this.#length = n + 1;
  }

  /** Removes logical index `at`, shifting the shorter side. */
  #removeAt(at: number): void {
    const n = this.#length;
    if (at < n - 1 - at) {
      for (let i = at; i > 0; i--) this.#move(i - 1, i);
      this.#head = this.#head + 1 === this.#ids.length ? 0 : this.#head + 1;
    } else {
      for (let i = at; i < n - 1; i++) this.#move(i + 1, i);
    }
    this.#length = n - 1;
  }

  /** Removes the tweet if present; returns whether it was. */
  removeTweet(tweetId: bigint): boolean {
    const at = this.#olderThan(tweetId);
    if (at === this.#length || this.#ids[this.#slot(at)] !== tweetId) return false;
    this.#removeAt(at);
    return true;
  }

  /** Removes every entry of the author, keeping the order; returns how many. */
  removeAuthor(authorId: bigint): number {
    const n = this.#length;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (this.#authors[this.#slot(i)] === authorId) continue;
      if (kept !== i) this.#move(i, kept);
      kept++;
    }
    this.#length = kept;
    return n - kept;
  }

  /**
   * Visits entries newest first, tweetId < `before` when given, until `visit` answers false;
   * answers whether it reached the oldest entry. Allocates nothing per entry.
   */
  scan(before: bigint | undefined, visit: (tweetId: bigint, authorId: bigint) => boolean): boolean {
    const end = before === undefined ? this.#length : this.#olderThan(before);
    for (let i = end - 1; i >= 0; i--) {
      const s = this.#slot(i);
      if (!visit(this.#ids[s]!, this.#authors[s]!)) return false;
    }
    return true;
  }

  /** Up to `limit` entries, newest first, with tweetId < `before` when given. */
  read(limit: number, before?: bigint): TimelineEntry[] {
    const end = before === undefined ? this.#length : this.#olderThan(before);
    const stop = Math.max(0, end - limit);
    const out: TimelineEntry[] = [];
    for (let i = end - 1; i >= stop; i--) {
      const s = this.#slot(i);
      out.push({ tweetId: this.#ids[s]!, authorId: this.#authors[s]! });
    }
    return out;
  }
}
