import { sql, type Kysely } from 'kysely';
import { BulkInsert, deferredWrites, param, Precompiled, type DeferredKind } from '../../platform/sql/index.js';
import type { TimelineEntry } from '../../platform/timelines/index.js';
import { idText } from './feed.ids.js';
import type { Tweet } from './feed.model.js';
import type { FeedTables } from './feed.tables.js';

/** The database, or a transaction on it. */
export type FeedDb = Kysely<FeedTables>;

/** What the writers need to know of a tweet, deleted or not. */
export interface TweetFacts {
  id: bigint;
  authorId: bigint;
  replyTo: bigint | null;
  pushed: boolean;
  createdAt: number;
  deletedAt: number | null;
}

/** One author's part of a database merge: live tweets between the bounds (exclusive), newest first, at most `limit`. */
export interface AuthorSlice {
  authorId: bigint;
  before: bigint | undefined;
  after?: bigint | undefined;
  limit: number;
}

/** The answer to a like or an unlike. */
export interface LikeOutcome {
  /** False when the like already was (or was not) there: nothing changed. */
  changed: boolean;
  likeCount: number;
  authorId: bigint;
}

/** A tweet to insert. */
export interface NewTweet {
  id: bigint;
  authorId: bigint;
  authorUsername: string;
  text: string;
  replyTo: bigint | null;
  pushed: boolean;
  createdAt: number;
}

// Union members per statement: SQLite allows 500 compound terms; each costs 2-3 parameters.
const SLICES_PER_QUERY = 100;

const tweetColumns = [
  idText('tweets.id').as('tweet_id'),
  idText('tweets.author_id').as('author'),
  'author_username',
  'text',
  idText('tweets.reply_to').as('reply'),
  'like_count',
  'reply_count',
  'created_at',
] as const;

interface TweetRow {
  tweet_id: string;
  author: string;
  author_username: string;
  text: string;
  reply: string | null;
  like_count: number;
  reply_count: number;
  created_at: number;
}

function toTweet(row: TweetRow): Tweet {
  return {
    id: row.tweet_id,
    authorId: row.author,
    author: row.author_username,
    text: row.text,
    replyTo: row.reply,
    likeCount: Number(row.like_count),
    replyCount: Number(row.reply_count),
    createdAt: Number(row.created_at),
  };
}

// A group's new tweets go in one multi-row insert at the end of its transaction (see deferredWrites).
const tweetColumnsIn = ['id', 'author_id', 'author_username', 'text', 'reply_to', 'pushed', 'created_at'] as const;
const insertTweets = new BulkInsert<Record<(typeof tweetColumnsIn)[number], unknown>>('tweets', tweetColumnsIn, { chunk: 100 });
const tweetsKind: DeferredKind<readonly unknown[]> = { name: 'tweets', order: 10, flush: (db, rows) => insertTweets.insert(db, rows) };
const addReplyStatement = new Precompiled<{ parent: bigint }, { author: string; reply_count: number }>((db: FeedDb) =>
  db
    .updateTable('tweets')
    .set((eb) => ({ reply_count: eb('reply_count', '+', 1) }))
    .where('id', '=', param('parent'))
    .where('deleted_at', 'is', null)
    .returning([idText('tweets.author_id').as('author'), 'reply_count']),
);

/** The only code that queries `tweets` and `likes`. Writers pass their transaction as `db`. */
export class TweetsRepository {
  readonly #db: FeedDb;

  constructor(db: FeedDb) {
    this.#db = db;
  }

  /** Inserts a tweet; in a group commit's transaction, with the group's others at its end. */
  async insert(db: FeedDb, tweet: NewTweet): Promise<void> {
    const row = [tweet.id, tweet.authorId, tweet.authorUsername, tweet.text, tweet.replyTo, tweet.pushed ? 1 : 0, tweet.createdAt];
    if (!deferredWrites.defer(db, tweetsKind, row)) await insertTweets.insert(db, [row]);
  }

  /** Counts a new reply on a live tweet; returns its author, or null when it is missing or deleted. */
  async addReply(db: FeedDb, parentId: bigint): Promise<bigint | null> {
    const row = await addReplyStatement.first(db, { parent: parentId });
    return row === undefined ? null : BigInt(row.author);
  }

  /** Uncounts a reply that was deleted. */
  async removeReply(db: FeedDb, parentId: bigint): Promise<void> {
    await db.updateTable('tweets').set((eb) => ({ reply_count: eb('reply_count', '-', 1) })).where('id', '=', parentId).execute();
  }

  /** A tweet's facts, deleted or not; null when it never existed. */
  async facts(id: bigint, db: FeedDb = this.#db): Promise<TweetFacts | null> {
    const row = await db
      .selectFrom('tweets')
      .select([idText('tweets.author_id').as('author'), idText('tweets.reply_to').as('reply'), 'pushed', 'created_at', 'deleted_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) return null;
    return {
      id,
      authorId: BigInt(row.author),
      replyTo: row.reply === null ? null : BigInt(row.reply),
      pushed: Number(row.pushed) === 1,
      createdAt: Number(row.created_at),
      deletedAt: row.deleted_at === null ? null : Number(row.deleted_at),
    };
  }

  /** Soft-deletes a live tweet; false when it was already deleted. */
  async markDeleted(db: FeedDb, id: bigint, at: number): Promise<boolean> {
    const result = await db.updateTable('tweets').set({ deleted_at: at }).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Records a like and counts it, once per (user, tweet): the unique row decides, so concurrent
   * and repeated likes count once. Returns whether it was new, the count and the tweet's author,
   * or null when the tweet is missing or deleted.
   */
  async like(db: FeedDb, userId: bigint, tweetId: bigint, at: number): Promise<LikeOutcome | null> {
    const live = await this.#live(db, tweetId);
    if (live === undefined) return null;
    const inserted = await db
      .insertInto('likes')
      .values({ user_id: userId, tweet_id: tweetId, author_id: BigInt(live.author), created_at: at })
      .onConflict((oc) => oc.columns(['user_id', 'tweet_id']).doNothing())
      .returning('created_at')
      .executeTakeFirst();
    const likeCount = inserted === undefined ? Number(live.like_count) : await this.#bumpLikes(db, tweetId, 1);
    return { changed: inserted !== undefined, likeCount, authorId: BigInt(live.author) };
  }

  /** Removes a like and uncounts it, once; null when the tweet is missing or deleted. */
  async unlike(db: FeedDb, userId: bigint, tweetId: bigint): Promise<LikeOutcome | null> {
    const live = await this.#live(db, tweetId);
    if (live === undefined) return null;
    const deleted = await db.deleteFrom('likes').where('user_id', '=', userId).where('tweet_id', '=', tweetId).returning('created_at').executeTakeFirst();
    const likeCount = deleted === undefined ? Number(live.like_count) : await this.#bumpLikes(db, tweetId, -1);
    return { changed: deleted !== undefined, likeCount, authorId: BigInt(live.author) };
  }

  #live(db: FeedDb, tweetId: bigint) {
    return db.selectFrom('tweets').select(['like_count', idText('tweets.author_id').as('author')]).where('id', '=', tweetId).where('deleted_at', 'is', null).executeTakeFirst();
  }

  async #bumpLikes(db: FeedDb, tweetId: bigint, delta: 1 | -1): Promise<number> {
    const row = await db
      .updateTable('tweets')
      .set((eb) => ({ like_count: eb('like_count', delta > 0 ? '+' : '-', 1) }))
      .where('id', '=', tweetId)
      .returning('like_count')
      .executeTakeFirstOrThrow();
    return Number(row.like_count);
  }

  /** Live tweets among `ids` (any order; missing and deleted ones left out). */
  async liveByIds(ids: readonly bigint[]): Promise<Tweet[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db.selectFrom('tweets').select(tweetColumns).where('id', 'in', [...ids]).where('deleted_at', 'is', null).execute();
    return rows.map(toTweet);
  }

  /** The user's likes, the newest tweets first, at most `limit` (the likes primary key, index-only). */
  async likesOf(userId: bigint, limit: number): Promise<bigint[]> {
    const rows = await this.#db.selectFrom('likes').select(idText('likes.tweet_id').as('tweet')).where('user_id', '=', userId).orderBy('tweet_id', 'desc').limit(limit).execute();
    return rows.map((r) => BigInt(r.tweet));
  }

  /** Which of `ids` the user likes (decimal ids). */
  async likedBy(userId: bigint, ids: readonly bigint[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.#db.selectFrom('likes').select(idText('likes.tweet_id').as('tweet')).where('user_id', '=', userId).where('tweet_id', 'in', [...ids]).execute();
    return new Set(rows.map((r) => r.tweet));
  }

  /** Every author's live tweets, newest first, below `before` (the primary key, read backwards): the local public timeline. */
  async latest(limit: number, before?: bigint): Promise<Tweet[]> {
    let query = this.#db.selectFrom('tweets').select(tweetColumns).where('deleted_at', 'is', null).orderBy('tweets.id', 'desc').limit(limit);
    if (before !== undefined) query = query.where('tweets.id', '<', before);
    return (await query.execute()).map(toTweet);
  }

  /** The live replies to a tweet, oldest first (tweets_reply_idx). */
  async repliesTo(parentId: bigint, limit: number): Promise<Tweet[]> {
    const rows = await this.#db.selectFrom('tweets').select(tweetColumns).where('reply_to', '=', parentId).where('deleted_at', 'is', null).orderBy('tweets.id', 'asc').limit(limit).execute();
    return rows.map(toTweet);
  }

  /** Who liked a tweet, newest like first (likes_tweet_idx). */
  async likers(tweetId: bigint, limit: number): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('likes')
      .select(idText('likes.user_id').as('user'))
      .where('tweet_id', '=', tweetId)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => r.user);
  }

  /** An author's live tweets, newest first, below `before` (tweets_author_live_idx). */
  async byAuthor(authorId: bigint, limit: number, before?: bigint): Promise<Tweet[]> {
    let query = this.#db
      .selectFrom('tweets')
      .select(tweetColumns)
      .where('author_id', '=', authorId)
      .where(sql<boolean>`deleted_at is null`)
      .orderBy('tweets.id', 'desc')
      .limit(limit);
    if (before !== undefined) query = query.where('tweets.id', '<', before);
    return (await query.execute()).map(toTweet);
  }

  /**
   * Several authors' newest live tweet ids at once, each slice bounded by its own limit: one
   * statement per 100 authors, a UNION ALL of per-author index range scans (each stops after its
   * limit, where `author_id in (...) order by id` would read every tweet of every author and sort).
   * `pulledOnly`: only tweets that were not fanned out (tweets_author_pulled_idx), else all live
   * ones (tweets_author_live_idx, covering). The literal predicates let SQLite match partial indexes.
   */
  async latestOfAuthors(slices: readonly AuthorSlice[], pulledOnly: boolean): Promise<Map<bigint, TimelineEntry[]>> {
    const out = new Map<bigint, TimelineEntry[]>(slices.map((s) => [s.authorId, []]));
    for (let start = 0; start < slices.length; start += SLICES_PER_QUERY) {
      const chunk = slices.slice(start, start + SLICES_PER_QUERY);
      const parts = chunk.map((slice, i) => {
        let sub = this.#db
          .selectFrom('tweets')
          .select([idText('tweets.id').as('tweet_id'), idText('tweets.author_id').as('author')])
          .where('author_id', '=', slice.authorId)
          .where(pulledOnly ? sql<boolean>`deleted_at is null and pushed = 0` : sql<boolean>`deleted_at is null`)
          .orderBy('tweets.id', 'desc')
          .limit(slice.limit);
        if (slice.before !== undefined) sub = sub.where('tweets.id', '<', slice.before);
        if (slice.after !== undefined) sub = sub.where('tweets.id', '>', slice.after);
        return this.#db.selectFrom(sub.as(`s${i}`)).selectAll();
      });
      const query = parts.slice(1).reduce((union, part) => union.unionAll(part), parts[0]!);
      for (const row of await query.execute()) {
        const authorId = BigInt(row.author);
        out.get(authorId)?.push({ tweetId: BigInt(row.tweet_id), authorId });
      }
    }
    // SQL does not promise that a union keeps its members' order: sort each slice again (cheap, sorted already).
    for (const entries of out.values()) entries.sort((a, b) => (a.tweetId < b.tweetId ? 1 : a.tweetId > b.tweetId ? -1 : 0));
    return out;
  }
}
