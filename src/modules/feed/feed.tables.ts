import type { ColumnType } from 'kysely';

/**
 * A snowflake (tweet or user id) stored as a native 64-bit integer (SQLite INTEGER, PostgreSQL
 * BIGINT): 8 bytes, compared as numbers by both engines. Written as `bigint`; never selected raw,
 * because better-sqlite3 answers INTEGER columns as JS numbers that lose precision above 2^53 (every
 * snowflake after 25 Jan 2026). The repositories read ids as `cast(column as text)` (see feed.ids.ts),
 * which both engines answer exactly; the select type says "do not use me" by being a union.
 */
export type IdColumn = ColumnType<bigint | number, bigint, bigint>;
export type NullableIdColumn = ColumnType<bigint | number | null, bigint | null, bigint | null>;

/** One row per tweet: the spec's denormalised feed row (author name and counters on the row). */
export interface TweetsTable {
  id: IdColumn;
  author_id: IdColumn;
  /** Denormalised from accounts at write time (names never change): hydration needs no lookup. */
  author_username: string;
  /** NFC-normalised, 1..280 code points. */
  text: string;
  reply_to: NullableIdColumn;
  /** Pre-computed: likes rows of this tweet. */
  like_count: ColumnType<number, number | undefined, number>;
  /** Pre-computed: live replies to this tweet. */
  reply_count: ColumnType<number, number | undefined, number>;
  /**
   * 1 when the tweet was fanned out on write (its author had at most the celebrity threshold of
   * followers when it was posted), 0 when home timelines pull it at read time. Decided once, in the
   * posting transaction, so the writer and every reader agree whatever the follower count does later.
   */
  pushed: number;
  /** Epoch ms. */
  created_at: number;
  /** Epoch ms; soft delete: the row stays so that late events can see what happened. */
  deleted_at: number | null;
}

/** A like: the unique (user, tweet) row decides whether a like or unlike changes the counter. */
export interface LikesTable {
  user_id: IdColumn;
  tweet_id: IdColumn;
  /** The tweet's author: the shard key, so that a like lives on its tweet's shard. */
  author_id: NullableIdColumn;
  created_at: number;
}

export interface FollowsTable {
  follower_id: IdColumn;
  followee_id: IdColumn;
  created_at: number;
}

/** Per-user numbers the feed owns (accounts owns the user itself). Created on first need. */
export interface FeedUsersTable {
  user_id: IdColumn;
  followers: ColumnType<number, number | undefined, number>;
  following: ColumnType<number, number | undefined, number>;
  /** Live tweets. */
  tweets: ColumnType<number, number | undefined, number>;
  /** Epoch ms of the last home-timeline read (throttled); null: never read. */
  last_read_at: ColumnType<number | null, number | null | undefined, number | null>;
  /** 1 once the user has posted a tweet that was not fanned out (see `pushed`): readers pull from them. */
  pulled: ColumnType<number, number | undefined, number>;
}

export interface FeedTables {
  tweets: TweetsTable;
  likes: LikesTable;
  follows: FollowsTable;
  feed_users: FeedUsersTable;
}
