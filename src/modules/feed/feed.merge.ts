import type { TimelineEntry } from '../../platform/timelines/index.js';
import type { AuthorSlice } from './tweets.repository.js';

/** Fetches several authors' newest tweet ids at once (TweetsRepository.latestOfAuthors). */
export type FetchSlices = (slices: readonly AuthorSlice[]) => Promise<Map<bigint, TimelineEntry[]>>;

// Per-author page sizes of the database merge: start small, double for authors that keep winning.
const MIN_SLICE = 4;
const MAX_SLICE = 1_000;

const newer = (a: TimelineEntry, b: TimelineEntry) => a.tweetId > b.tweetId;

/**
 * Merges newest-first streams into one newest-first stream; an id offered by several streams
 * (a celebrity's tweet cached and pulled, say) comes out once.
 */
export async function* mergeNewestFirst(sources: readonly AsyncIterable<TimelineEntry>[]): AsyncGenerator<TimelineEntry> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  try {
    const heads = await Promise.all(iterators.map((it) => it.next()));
    for (;;) {
      let best: TimelineEntry | undefined;
      for (const head of heads) if (!head.done && (best === undefined || newer(head.value, best))) best = head.value;
      if (best === undefined) return;
      yield best;
      const id = best.tweetId;
      // Advance every stream standing on this id (sequentially: they may share a database connection).
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i]!;
        if (!head.done && head.value.tweetId === id) heads[i] = await iterators[i]!.next();
      }
    }
  } finally {
    await Promise.all(iterators.map((it) => it.return?.()));
  }
}

interface AuthorCursor {
  authorId: bigint;
  buffer: TimelineEntry[];
  position: number;
  before: bigint | undefined;
  limit: number;
  exhausted: boolean;
}

/**
 * The database merge: the live tweets of `authors` below `before`, newest first, read lazily as a
 * k-way merge. Every author's next tweet must be known before the newest can be handed out, so an
 * author whose buffer empties is refilled (in one batch with the others waiting) before the next
 * pick; each refill doubles that author's page. `expected` (how many the caller will likely take)
 * sizes the first pages so that a typical read is one statement per 100 authors.
 */
export async function* mergeAuthors(fetch: FetchSlices, authors: readonly bigint[], before: bigint | undefined, expected: number): AsyncGenerator<TimelineEntry> {
  if (authors.length === 0) return;
  const first = Math.min(MAX_SLICE, Math.max(MIN_SLICE, Math.ceil((2 * expected) / authors.length)));
  let waiting: AuthorCursor[] = authors.map((authorId) => ({ authorId, buffer: [], position: 0, before, limit: first, exhausted: false }));
  const heap = new MaxHeap<AuthorCursor>((a, b) => newer(a.buffer[a.position]!, b.buffer[b.position]!));
  for (;;) {
    if (waiting.length > 0) {
      const fetched = await fetch(waiting.map((c) => ({ authorId: c.authorId, before: c.before, limit: c.limit })));
      for (const cursor of waiting) {
        const rows = fetched.get(cursor.authorId) ?? [];
        cursor.exhausted = rows.length < cursor.limit;
        cursor.buffer = rows;
        cursor.position = 0;
        cursor.limit = Math.min(MAX_SLICE, cursor.limit * 2);
        if (rows.length > 0) {
          cursor.before = rows[rows.length - 1]!.tweetId;
          heap.push(cursor);
        }
      }
      waiting = [];
    }
    const top = heap.pop();
    if (top === undefined) return;
    yield top.buffer[top.position++]!;
    if (top.position < top.buffer.length) heap.push(top);
    else if (!top.exhausted) waiting.push(top);
  }
}

/** Takes up to `count` entries of a stream (and closes it). */
export async function take(stream: AsyncIterable<TimelineEntry>, count: number): Promise<TimelineEntry[]> {
  const out: TimelineEntry[] = [];
  if (count <= 0) return out;
  for await (const entry of stream) {
    out.push(entry);
    if (out.length >= count) break;
  }
  return out;
}

/** A binary heap; `above(a, b)` is true when `a` comes out before `b`. */
class MaxHeap<T> {
  readonly #items: T[] = [];
  readonly #above: (a: T, b: T) => boolean;

  constructor(above: (a: T, b: T) => boolean) {
    this.#above = above;
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#above(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.#items;
    if (items.length === 0) return undefined;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let best = i;
        if (left < items.length && this.#above(items[left]!, items[best]!)) best = left;
        if (right < items.length && this.#above(items[right]!, items[best]!)) best = right;
        if (best === i) break;
        [items[i], items[best]] = [items[best]!, items[i]!];
        i = best;
      }
    }
    return top;
  }
}
