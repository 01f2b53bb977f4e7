import { sql } from 'kysely';
import { BulkInsert, deferredWrites, param, Precompiled, type DeferredKind } from '../../platform/sql/index.js';
import { idText } from './feed.ids.js';
import type { FollowerGraph } from './follower-graph.js';
import type { FeedDb } from './tweets.repository.js';

// The statements every follow, post and read runs: built and compiled once (see Precompiled).
const followStatement = new Precompiled<{ follower: bigint; followee: bigint; at: number }>((db: FeedDb) =>
  db
    .insertInto('follows')
    .values({ follower_id: param('follower'), followee_id: param('followee'), created_at: param('at') })
    .onConflict((oc) => oc.columns(['follower_id', 'followee_id']).doNothing())
    .returning('created_at'),
);
const unfollowStatement = new Precompiled<{ follower: bigint; followee: bigint }>((db: FeedDb) =>
  db.deleteFrom('follows').where('follower_id', '=', param('follower')).where('followee_id', '=', param('followee')).returning('created_at'),
);
const isFollowingStatement = new Precompiled<{ follower: bigint; followee: bigint }>((db: FeedDb) =>
  db.selectFrom('follows').select('created_at').where('follower_id', '=', param('follower')).where('followee_id', '=', param('followee')),
);
/** Deltas, and the values a new row starts from (a delta that cannot go below zero). */
type CountsArgs = { user: bigint; followers: number; following: number; tweets: number; followers0: number; following0: number; tweets0: number; pulled: number };
const changeCountsStatement = new Precompiled<CountsArgs>((db: FeedDb) =>
  db
    .insertInto('feed_users')
    .values({ user_id: param('user'), followers: param('followers0'), following: param('following0'), tweets: param('tweets0'), pulled: param('pulled') })
    .onConflict((oc) =>
      oc.column('user_id').doUpdateSet((eb) => ({
        followers: eb(eb.ref('feed_users.followers'), '+', eb.val(param('followers'))),
        following: eb(eb.ref('feed_users.following'), '+', eb.val(param('following'))),
        tweets: eb(eb.ref('feed_users.tweets'), '+', eb.val(param('tweets'))),
        // Sticky: once pulled, always pulled.
        pulled: sql<number>`case when ${eb.ref('excluded.pulled')} = 1 then 1 else ${eb.ref('feed_users.pulled')} end`,
      })),
    ),
);
const countsStatement = new Precompiled<{ user: bigint }, { followers: number; following: number; tweets: number; last_read_at: number | null; pulled: number }>((db: FeedDb) =>
  db.selectFrom('feed_users').select(['followers', 'following', 'tweets', 'last_read_at', 'pulled']).where('user_id', '=', param('user')),
);
const markReadStatement = new Precompiled<{ user: bigint; at: number }>((db: FeedDb) =>
  db
    .insertInto('feed_users')
    .values({ user_id: param('user'), last_read_at: param('at') })
    .onConflict((oc) => oc.column('user_id').doUpdateSet((eb) => ({ last_read_at: eb.ref('excluded.last_read_at') }))),
);

/** One user's counter changes, merged. */
interface CountsDelta {
  user: bigint;
  followers: number;
  following: number;
  tweets: number;
  pulled: boolean;
}

// Counters changes of a group that only add (posts, follows) go in one multi-row upsert.
const addCounts = new BulkInsert<{ user_id: bigint; followers: number; following: number; tweets: number; pulled: number }>('feed_users', ['user_id', 'followers', 'following', 'tweets', 'pulled'], {
  chunk: 200,
  modify: (q) =>
    q.onConflict((oc) =>
      oc.column('user_id').doUpdateSet({
        followers: sql`feed_users.followers + excluded.followers`,
        following: sql`feed_users.following + excluded.following`,
        tweets: sql`feed_users.tweets + excluded.tweets`,
        pulled: sql`case when excluded.pulled = 1 then 1 else feed_users.pulled end`,
      }),
    ),
});

/**
 * Counter changes, deferred to the end of their transaction (see deferredWrites): merged per
 * user and applied in ascending user id, once per user, however many units of the group touched
 * them. With transactions side by side (a server database), every transaction then takes counter
 * row locks in the same order, so two groups never deadlock over them; and fifty posts by fifty
 * authors are one statement.
 */
const countsKind: DeferredKind<CountsDelta> = {
  name: 'feed_users counters',
  order: 100,
  async flush(db, items) {
    const merged = new Map<bigint, CountsDelta>();
    for (const d of items) {
      const m = merged.get(d.user);
      if (m === undefined) merged.set(d.user, { ...d });
      else {
        m.followers += d.followers;
        m.following += d.following;
        m.tweets += d.tweets;
        m.pulled ||= d.pulled;
      }
    }
    const sorted = [...merged.values()].sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
    const adding = sorted.filter((d) => d.followers >= 0 && d.following >= 0 && d.tweets >= 0 && (d.followers > 0 || d.following > 0 || d.tweets > 0 || d.pulled));
    const other = sorted.filter((d) => d.followers < 0 || d.following < 0 || d.tweets < 0);
    await addCounts.insert(db, adding.map((d) => [d.user, d.followers, d.following, d.tweets, d.pulled ? 1 : 0]));
    for (const d of other) await applyCounts(db, d.user, { followers: d.followers, following: d.following, tweets: d.tweets, pulled: d.pulled || undefined });
  },
};

async function applyCounts(db: FeedDb, userId: bigint, change: CountsChange | { followers: number; following: number; tweets: number; pulled?: true | undefined }): Promise<void> {
  const followers = change.followers ?? 0;
  const following = change.following ?? 0;
  const tweets = change.tweets ?? 0;
  await changeCountsStatement.execute(db, {
    user: userId,
    followers,
    following,
    tweets,
    followers0: Math.max(0, followers),
    following0: Math.max(0, following),
    tweets0: Math.max(0, tweets),
    pulled: change.pulled ? 1 : 0,
  });
}

/** Rows read per statement while loading the follower graph. */
const LOAD_PAGE = 50_000;

/** A user's numbers as the feed keeps them. */
export interface UserCounts {
  followers: number;
  following: number;
  tweets: number;
  lastReadAt: number | null;
  /** Has posted tweets that home timelines pull at read time. */
  pulled: boolean;
}

/** An author a reader follows, and whether it is pulled at read time. */
export interface Followee {
  id: bigint;
  pulled: boolean;
}

/** Changes to a user's counters (and the sticky `pulled` mark). */
export interface CountsChange {
  followers?: number;
  following?: number;
  tweets?: number;
  pulled?: true;
}

/** The only code that queries `follows` and `feed_users`. Writers pass their transaction as `db`. */
export class FollowsRepository {
  readonly #db: FeedDb;

  constructor(db: FeedDb) {
    this.#db = db;
  }

  /** Adds a follow; false when it already existed (the primary key decides). */
  async follow(db: FeedDb, followerId: bigint, followeeId: bigint, at: number): Promise<boolean> {
    return (await followStatement.first(db, { follower: followerId, followee: followeeId, at })) !== undefined;
  }

  /** Removes a follow; false when there was none. */
  async unfollow(db: FeedDb, followerId: bigint, followeeId: bigint): Promise<boolean> {
    return (await unfollowStatement.first(db, { follower: followerId, followee: followeeId })) !== undefined;
  }

  /** Whether the follow exists now (consumers check before acting on an old event). */
  async isFollowing(followerId: bigint, followeeId: bigint): Promise<boolean> {
    return (await isFollowingStatement.first(this.#db, { follower: followerId, followee: followeeId })) !== undefined;
  }

  /** Which of these (follower, followee) pairs are follows now, as `follower>followee` keys. */
  async existing(pairs: readonly (readonly [bigint, bigint])[]): Promise<Set<string>> {
    if (pairs.length === 0) return new Set();
    const rows = await this.#db
      .selectFrom('follows')
      .select([idText('follows.follower_id').as('follower'), idText('follows.followee_id').as('followee')])
      .where((eb) => eb.or(pairs.map(([a, b]) => eb.and([eb('follower_id', '=', a), eb('followee_id', '=', b)]))))
      .execute();
    return new Set(rows.map((r) => `${r.follower}>${r.followee}`));
  }

  /**
   * Loads every follow, read time and pull mark into `graph` (at start, before serving), in
   * primary-key order (the order the graph appends cheapest), a page per statement.
   */
  async loadGraph(graph: FollowerGraph, onProgress?: (follows: number) => void): Promise<void> {
    let after: [bigint, bigint] | undefined;
    for (;;) {
      let query = this.#db
        .selectFrom('follows')
        .select([idText('follows.follower_id').as('follower'), idText('follows.followee_id').as('followee')])
        .orderBy('follower_id')
        .orderBy('followee_id')
        .limit(LOAD_PAGE);
      if (after !== undefined) query = query.where(sql<boolean>`(follower_id, followee_id) > (${after[0]}, ${after[1]})`);
      const rows = await query.execute();
      for (const row of rows) graph.add(BigInt(row.follower), BigInt(row.followee));
      onProgress?.(graph.size);
      if (rows.length < LOAD_PAGE) break;
      const last = rows[rows.length - 1]!;
      after = [BigInt(last.follower), BigInt(last.followee)];
    }
    let afterUser: bigint | undefined;
    for (;;) {
      let query = this.#db
        .selectFrom('feed_users')
        .select([idText('feed_users.user_id').as('user'), 'last_read_at', 'pulled'])
        .where((eb) => eb.or([eb('last_read_at', 'is not', null), eb('pulled', '=', 1)]))
        .orderBy('user_id')
        .limit(LOAD_PAGE);
      if (afterUser !== undefined) query = query.where('user_id', '>', afterUser);
      const rows = await query.execute();
      for (const row of rows) {
        const user = BigInt(row.user);
        if (row.last_read_at !== null) graph.markRead(user, Number(row.last_read_at));
        if (Number(row.pulled) === 1) graph.setPulled(user);
      }
      if (rows.length < LOAD_PAGE) break;
      afterUser = BigInt(rows[rows.length - 1]!.user);
    }
    graph.trim();
  }

  /**
   * Applies counter changes, creating the user's row on first need (one upsert); in a group
   * commit's transaction, at its end (see `countsKind`).
   */
  async changeCounts(db: FeedDb, userId: bigint, change: CountsChange): Promise<void> {
    const delta = { user: userId, followers: change.followers ?? 0, following: change.following ?? 0, tweets: change.tweets ?? 0, pulled: change.pulled === true };
    if (!deferredWrites.defer(db, countsKind, delta)) await applyCounts(db, userId, change);
  }

  /** A user's numbers (zeros before the row exists). */
  async counts(userId: bigint, db: FeedDb = this.#db): Promise<UserCounts> {
    const row = await countsStatement.first(db, { user: userId });
    if (row === undefined) return { followers: 0, following: 0, tweets: 0, lastReadAt: null, pulled: false };
    return {
      followers: Number(row.followers),
      following: Number(row.following),
      tweets: Number(row.tweets),
      lastReadAt: row.last_read_at === null ? null : Number(row.last_read_at),
      pulled: Number(row.pulled) === 1,
    };
  }

  /** Records a home-timeline read (the caller throttles). */
  async markRead(db: FeedDb, userId: bigint, at: number): Promise<void> {
    await markReadStatement.execute(db, { user: userId, at });
  }

  /** Every author the user follows, with the pull mark (primary key range, one probe each). */
  async followingOf(userId: bigint): Promise<Followee[]> {
    const rows = await this.#db
      .selectFrom('follows')
      .leftJoin('feed_users', 'feed_users.user_id', 'follows.followee_id')
      .select([idText('follows.followee_id').as('followee'), 'feed_users.pulled'])
      .where('follows.follower_id', '=', userId)
      .execute();
    return rows.map((r) => ({ id: BigInt(r.followee), pulled: Number(r.pulled ?? 0) === 1 }));
  }

  /** A page of an author's followers in id order after `after` (follows_followee_idx, index-only). */
  async followersAfter(followeeId: bigint, limit: number, after?: bigint): Promise<bigint[]> {
    let query = this.#db
      .selectFrom('follows')
      .select(idText('follows.follower_id').as('follower'))
      .where('follows.followee_id', '=', followeeId)
      .orderBy('follows.follower_id')
      .limit(limit);
    if (after !== undefined) query = query.where('follows.follower_id', '>', after);
    return (await query.execute()).map((r) => BigInt(r.follower));
  }

  /** A page of followers (`direction: 'followers'`) or followees of a user, highest id first, below `before`. */
  async page(direction: 'followers' | 'following', userId: bigint, limit: number, before?: bigint): Promise<bigint[]> {
    // followers: follows_followee_idx; following: the primary key. Both are index-only.
    const [mine, theirs] = direction === 'followers' ? (['followee_id', 'follower_id'] as const) : (['follower_id', 'followee_id'] as const);
    let query = this.#db
      .selectFrom('follows')
      .select(idText(`follows.${theirs}`).as('other'))
      .where(mine, '=', userId)
      .orderBy(sql.ref(`follows.${theirs}`), 'desc')
      .limit(limit);
    if (before !== undefined) query = query.where(theirs, '<', before);
    return (await query.execute()).map((r) => BigInt(r.other));
  }
}
