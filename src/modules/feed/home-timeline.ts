import type { Clock } from '../../platform/clock/index.js';
import { snowflakeTime } from '../../platform/ids/index.js';
import type { GroupCommit } from '../../platform/sql/index.js';
import type { TimelineEntry, TimelineStore } from '../../platform/timelines/index.js';
import type { Page, Tweet } from './feed.model.js';
import { mergeAuthors, mergeNewestFirst, take, type FetchSlices } from './feed.merge.js';
import type { FeedTables } from './feed.tables.js';
import type { FollowsRepository } from './follows.repository.js';
import type { TweetReads } from './feed.shards.js';
import type { Reader, Readers, ReadersNow } from './feed.readers.js';
import type { Fanout } from './fanout.js';
import type { HomeFeeds } from './home-feeds.js';
import type { TweetViews } from './tweet-views.js';
import { FEED_READS_TOPIC } from './feed.events.js';
import { emit } from './feed.outbox.js';

/** `last_read_at` is written at most this often per reader: a read is not a write. */
export const READ_MARK_EVERY_MS = 10 * 60_000;
/** Longest expected gap between a tweet id being taken and its commit (group commit, a slow writer). */
const COMMIT_MARGIN_MS = 60_000;
/** At most this many tweets committed during a rebuild are added to it afterwards. */
const LATE_LIMIT = 100;
/** Cached entries read per store call beyond the page size (room for entries filtered out). */
const CACHE_SLACK = 20;

export interface HomeTimelineDeps {
  tweets: Pick<TweetReads, 'liveByIds' | 'latestOfAuthors'>;
  follows: FollowsRepository;
  /** Who reads and whom they follow (the graph in memory, or SQL). */
  readers: { read: Readers; readNow: ReadersNow };
  /** Tweets as readers get them (cached). */
  views: Pick<TweetViews, 'live' | 'cached'>;
  /** The rules of home timelines (who may have been skipped by fan-out). */
  home: HomeFeeds;
  /** Told of recorded reads (the graph keeps them too). */
  fanout: Pick<Fanout, 'markedRead'>;
  timelines: TimelineStore;
  writes: GroupCommit<FeedTables>;
  clock: Clock;
  /** Told when the timeline store fails a read or a rebuild (the read goes on from the database). */
  onError?: ((error: unknown) => void) | undefined;
}

/**
 * The home timeline: the live tweets of the authors a user follows and their own, newest first.
 *
 * Sources, merged newest first by id (dedup by id):
 * 1. the cached ids (TimelineStore) below the cursor, rebuilt from the database when absent or when
 *    the reader was inactive (fan-out skipped them); once they run out — past the store's capacity
 *    or below an old cursor — the database merge of every followed author below the last cached id;
 * 2. the tweets that were never fanned out (celebrities' tweets), pulled below the cursor.
 * The cache holds, from its oldest entry up, every fanned-out tweet of the followed authors; it may
 * also hold stale ids (deleted tweets, authors unfollowed), so every candidate is checked against
 * the followed set and hydrated from the database (deleted ones drop out) until the page is full.
 * The cursor is the last id handed out, so pages neither repeat nor skip.
 */
export class HomeTimeline {
  readonly #deps: HomeTimelineDeps;
  readonly #fetchAll: FetchSlices;
  readonly #fetchPulled: FetchSlices;

  constructor(deps: HomeTimelineDeps) {
    this.#deps = deps;
    this.#fetchAll = (slices) => deps.tweets.latestOfAuthors(slices, false);
    this.#fetchPulled = (slices) => deps.tweets.latestOfAuthors(slices, true);
  }

  /** One page of the reader's home timeline, as live tweets (hydrated from the database). */
  async page(readerId: bigint, limit: number, cursor?: bigint): Promise<Page<Tweet>> {
    const { follows, writes, clock, home, fanout } = this.#deps;
    const now = clock.now();
    const reader = await this.#deps.readers.read(readerId);
    // Marked before any rebuild: a fan-out that starts after this sees the reader as active.
    if (reader.lastReadAt === null || now - reader.lastReadAt >= READ_MARK_EVERY_MS) {
      await writes.run(async (trx) => {
        await follows.markRead(trx, readerId, now);
        // The queued fan-out's follower graph learns of the read from this event.
        await emit(trx, { type: 'user_read', userId: readerId.toString(), at: now }, readerId.toString(), now, FEED_READS_TOPIC);
      });
      fanout.markedRead(readerId, now);
    }
    const inactive = home.mayHaveBeenSkipped(reader.lastReadAt, now);
    if (!inactive && reader.pulled.length === 0) {
      const fast = this.#deps.timelines.local !== undefined ? this.#fromMemory(reader, limit, cursor) : await this.#fromStore(reader, limit, cursor);
      if (fast !== null) return fast;
    }

    const candidates = mergeNewestFirst([
      this.#cachedThenStored(reader, limit, cursor, inactive),
      mergeAuthors(this.#fetchPulled, reader.pulled, cursor, limit),
      // A queued fan-out delivers the reader's own tweet a moment after they posted it; they read it at once.
      ...(reader.recentPosts !== undefined ? [mergeAuthors(this.#fetchAll, [readerId], cursor, limit)] : []),
    ]);
    const items: Tweet[] = [];
    try {
      let exhausted = false;
      while (items.length < limit && !exhausted) {
        const batch: TimelineEntry[] = [];
        while (batch.length < limit - items.length) {
          const next = await candidates.next();
          if (next.done) {
            exhausted = true;
            break;
          }
          if (reader.sees(next.value.authorId)) batch.push(next.value);
        }
        const live = new Map((await this.#deps.views.live(batch.map((e) => e.tweetId))).map((t) => [t.id, t]));
        for (const entry of batch) {
          const tweet = live.get(entry.tweetId.toString());
          // The row's author, not the cache's, decides.
          if (tweet !== undefined && reader.sees(BigInt(tweet.authorId))) items.push(tweet);
        }
      }
    } finally {
      await candidates.return(undefined);
    }
    return { items, nextCursor: items.length === limit ? items[items.length - 1]!.id : null };
  }

  /**
   * `page` when it needs nothing but the cached timeline: the reader known without I/O, no read
   * mark due, nothing to pull or merge, and the page whole in the cache — in memory (`#fromMemory`,
   * answered synchronously) or, with the store elsewhere, after its one read (`#fromStore`, a
   * promise). Undefined (or a promise of it) otherwise: `page` answers.
   */
  pageFast(readerId: bigint, limit: number, cursor?: bigint): Page<Tweet> | Promise<Page<Tweet> | undefined> | undefined {
    const { clock, home, timelines } = this.#deps;
    const reader = this.#deps.readers.readNow(readerId);
    if (reader === undefined || reader.pulled.length > 0) return undefined;
    const now = clock.now();
    if (reader.lastReadAt === null || now - reader.lastReadAt >= READ_MARK_EVERY_MS || home.mayHaveBeenSkipped(reader.lastReadAt, now)) return undefined;
    if (timelines.local !== undefined) return this.#fromMemory(reader, limit, cursor) ?? undefined;
    return this.#fromStore(reader, limit, cursor).then((page) => page ?? undefined);
  }

  /**
   * A page from memory alone, synchronously: the cached ids below the cursor that belong to the
   * reader's timeline, each tweet from the view cache. Null when memory cannot answer alone (a
   * store elsewhere, no cached timeline, a tweet not held, or a timeline that ends before the page
   * fills): the general path then reads what it lacks.
   */
  #fromMemory(reader: Reader, limit: number, cursor: bigint | undefined): Page<Tweet> | null {
    const local = this.#deps.timelines.local;
    if (local === undefined) return null;
    const { views } = this.#deps;
    const items: Tweet[] = [];
    let missed = false;
    const whole = local.scan(reader.id, cursor, (tweetId, authorId) => {
      if (!reader.sees(authorId)) return true;
      const tweet = views.cached(tweetId);
      if (tweet === undefined) {
        missed = true;
        return false;
      }
      items.push(tweet);
      return items.length < limit;
    });
    if (whole === undefined || missed || items.length < limit || !holdsRecentPosts(reader, items, cursor)) return null;
    return { items, nextCursor: items[items.length - 1]!.id };
  }

  /**
   * `#fromMemory` for a store elsewhere (Redis): one read of the cached ids, then the view cache.
   * Null when that does not fill the page (or the store fails): the general path takes over.
   */
  async #fromStore(reader: Reader, limit: number, cursor: bigint | undefined): Promise<Page<Tweet> | null> {
    const { timelines, views } = this.#deps;
    let entries: TimelineEntry[] | null;
    try {
      entries = await timelines.range(reader.id, Math.min(timelines.capacity, limit + CACHE_SLACK), cursor);
    } catch {
      return null;
    }
    if (entries === null) return null;
    const items: Tweet[] = [];
    for (const entry of entries) {
      if (!reader.sees(entry.authorId)) continue;
      const tweet = views.cached(entry.tweetId);
      if (tweet === undefined) return null;
      items.push(tweet);
      if (items.length === limit) return holdsRecentPosts(reader, items, cursor) ? { items, nextCursor: tweet.id } : null;
    }
    return null;
  }

  /**
   * Rebuilds a reader's cached timeline from the database: the newest `capacity` live tweets of the
   * given authors (a database merge), then replaces the cache with them. Tweets committed while the
   * merge read may have been fanned out to no timeline (there was none): they are read again and
   * pushed, so the cache misses nothing newer than its oldest entry.
   */
  async rebuild(readerId: bigint, authors: readonly bigint[]): Promise<void> {
    const { timelines, clock } = this.#deps;
    const startedAt = clock.now();
    const entries = await take(mergeAuthors(this.#fetchAll, authors, undefined, timelines.capacity), timelines.capacity);
    await timelines.replace(readerId, entries);
    const floor = snowflakeFloor(startedAt - COMMIT_MARGIN_MS);
    const known = new Set(entries.map((e) => e.tweetId));
    const late = await this.#deps.tweets.latestOfAuthors(
      authors.map((authorId) => ({ authorId, before: undefined, after: floor, limit: LATE_LIMIT })),
      false,
    );
    for (const list of late.values()) {
      for (const entry of list) if (!known.has(entry.tweetId)) await timelines.push([readerId], entry);
    }
  }

  /**
   * Source 1: cached ids below the cursor, then the database merge below the last of them. When the
   * store fails (Redis down), the database answers alone: slower, never wrong.
   */
  async *#cachedThenStored(reader: Reader, limit: number, cursor: bigint | undefined, inactive: boolean): AsyncGenerator<TimelineEntry> {
    const { timelines } = this.#deps;
    const { authors } = reader;
    const pageSize = Math.min(timelines.capacity, limit + CACHE_SLACK);
    let before = cursor;
    let rebuilt = false;
    const cachedPage = async (): Promise<TimelineEntry[] | null> => {
      if (inactive && !rebuilt) {
        rebuilt = true;
        await this.rebuild(reader.id, authors);
      }
      const page = await timelines.range(reader.id, pageSize, before);
      if (page !== null || rebuilt) return page;
      rebuilt = true;
      await this.rebuild(reader.id, authors);
      return timelines.range(reader.id, pageSize, before);
    };
    for (;;) {
      let page: TimelineEntry[] | null;
      try {
        page = await cachedPage();
      } catch (error) {
        this.#deps.onError?.(error);
        break;
      }
      // Gone (evicted, dropped by a follow) in the middle of a read: the database covers the rest.
      if (page === null) break;
      for (const entry of page) {
        if (before !== undefined && entry.tweetId >= before) continue;
        before = entry.tweetId;
        yield entry;
      }
      if (page.length < pageSize) break;
    }
    yield* mergeAuthors(this.#fetchAll, authors, before, limit);
  }
}

/**
 * Whether a page read from the cache holds every tweet the reader posted a moment ago that belongs
 * on it (below the cursor, above the page's last item): a queued fan-out may not have delivered
 * them yet, and then the general path merges them from the database.
 */
function holdsRecentPosts(reader: Reader, items: readonly Tweet[], cursor: bigint | undefined): boolean {
  const recent = reader.recentPosts;
  if (recent === undefined) return true;
  const last = BigInt(items[items.length - 1]!.id);
  for (const id of recent) {
    if (id < last || (cursor !== undefined && id >= cursor)) continue;
    const text = id.toString();
    if (!items.some((t) => t.id === text)) return false;
  }
  return true;
}

const SNOWFLAKE_EPOCH_MS = snowflakeTime(0n);

/** The smallest snowflake id that can be taken at `ms` (tweet ids are snowflakes: time in the high bits). */
export function snowflakeFloor(ms: number): bigint {
  return BigInt(Math.max(0, ms - SNOWFLAKE_EPOCH_MS)) << 22n;
}
