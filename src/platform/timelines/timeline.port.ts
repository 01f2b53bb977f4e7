/**
 * The home-timeline store of the news feed: per user, the ids of the newest tweets of the people
 * they follow, newest first, capped (Mastodon keeps 800). It is a cache, never the source of
 * truth: a timeline may be absent (never built, dropped, evicted, lost on restart), and the feed
 * service then rebuilds it from the database with `replace`. This port is the one owner of a
 * timeline's shape and cap: callers never sort, dedup or trim.
 */
import type { UserSlots } from './user-slots.js';

/** One entry of a home timeline. Ids are 64-bit snowflakes: time-sortable, so newer = larger. */
export interface TimelineEntry {
  /** The tweet; in [0, 2^63 - 1]. Unique within a timeline, and what orders it. */
  tweetId: bigint;
  /** Its author, kept so that an unfollow can retract their tweets; in [0, 2^63 - 1]. */
  authorId: bigint;
}

/**
 * The synchronous face of a store that lives in this process: fan-out can push into it inline,
 * right after the commit, addressing timelines by slot (see UserSlots) in a tight loop.
 */
export interface LocalTimelines {
  /** The numbering of users that the store's slots follow; share it with whatever lists users by slot. */
  readonly slots: UserSlots;
  /**
   * Adds an entry to the timeline at `slot` if it exists: `push` for one user, without the checks
   * (validate the entry once per fan-out with `checkEntry`). Returns whether it was added.
   */
  pushSlot(slot: number, tweetId: bigint, authorId: bigint): boolean;
  /** The oldest tweet id of the timeline at `slot` when it is full; null when it is not full; undefined when it does not exist. */
  fullFloor(slot: number): bigint | null | undefined;
  /**
   * Visits the timeline of `userId` newest first, tweet ids below `before`, until `visit` answers
   * false, without allocating per entry (a read served from memory); marks it recently used.
   * Answers undefined when the timeline does not exist, else whether the visit reached its oldest entry.
   */
  scan(userId: bigint, before: bigint | undefined, visit: (tweetId: bigint, authorId: bigint) => boolean): boolean | undefined;
}

/** The home timelines of every user, bounded per timeline; the in-process and Redis adapters pass one contract. */
export interface TimelineStore {
  /** Entries kept per timeline; older ones fall off. */
  readonly capacity: number;

  /** Present when the store lives in this process (the in-process store): fan-out then runs inline. */
  readonly local?: LocalTimelines | undefined;

  /**
   * Adds `entry` to each of `userIds`' timelines in ONE store call (a batch of followers): ordered
   * newest first, no duplicate tweet id, at most `capacity`. Idempotent, so a retried fan-out job
   * is harmless; an entry older than everything in a full timeline is dropped.
   * Only timelines that exist are touched: an absent one is rebuilt from the database on its next read.
   * Throws a RangeError when an id is outside [0, 2^63 - 1].
   */
  push(userIds: readonly bigint[], entry: TimelineEntry): Promise<void>;

  /**
   * Up to `limit` entries, newest first, with tweetId < `before` when given (the previous page's
   * last id); null when the timeline does not exist (never built, dropped, or lost on restart):
   * the caller rebuilds it. An existing empty timeline gives [].
   */
  range(userId: bigint, limit: number, before?: bigint): Promise<TimelineEntry[] | null>;

  /**
   * Creates or replaces a timeline (a rebuild); the store sorts, dedups (the first of a repeated
   * tweet id wins) and trims to `capacity`. An empty list creates an empty (existing) timeline.
   */
  replace(userId: bigint, entries: readonly TimelineEntry[]): Promise<void>;

  /** Removes a tweet from these timelines (deletion retraction), one store call per batch; absent ones are skipped. */
  removeTweet(userIds: readonly bigint[], tweetId: bigint): Promise<void>;

  /** Removes every entry of an author from one timeline (unfollow retraction); the timeline keeps existing, even emptied. */
  removeAuthor(userId: bigint, authorId: bigint): Promise<void>;

  /** Forgets a timeline (e.g. an inactive user): its next read rebuilds it. Dropping an absent one is not an error. */
  drop(userId: bigint): Promise<void>;

  /**
   * How many timelines exist (for metrics). Exact in memory; in Redis a counter kept by
   * `replace` and `drop` (SCAN-free), so approximate when keys vanish behind the store's back
   * (eviction under maxmemory, a DEL by hand).
   */
  size(): Promise<number>;

  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;

  /** Releases what the store opened itself (a connection it created); further calls may fail. */
  close(): Promise<void>;
}
