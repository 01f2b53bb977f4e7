import { sql } from 'kysely';
import { idText } from './feed.ids.js';
import type { FeedDb } from './tweets.repository.js';

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
    const row = await db
      .insertInto('follows')
      .values({ follower_id: followerId, followee_id: followeeId, created_at: at })
      .onConflict((oc) => oc.columns(['follower_id', 'followee_id']).doNothing())
      .returning('created_at')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Removes a follow; false when there was none. */
  async unfollow(db: FeedDb, followerId: bigint, followeeId: bigint): Promise<boolean> {
    const row = await db.deleteFrom('follows').where('follower_id', '=', followerId).where('followee_id', '=', followeeId).returning('created_at').executeTakeFirst();
    return row !== undefined;
  }

  /** Whether the follow exists now (consumers check before acting on an old event). */
  async isFollowing(followerId: bigint, followeeId: bigint): Promise<boolean> {
    const row = await this.#db.selectFrom('follows').select('created_at').where('follower_id', '=', followerId).where('followee_id', '=', followeeId).executeTakeFirst();
    return row !== undefined;
  }

  /** Applies counter changes, creating the user's row on first need (one upsert). */
  async changeCounts(db: FeedDb, userId: bigint, change: CountsChange): Promise<void> {
    const followers = change.followers ?? 0;
    const following = change.following ?? 0;
    const tweets = change.tweets ?? 0;
    await db
      .insertInto('feed_users')
      .values({ user_id: userId, followers: Math.max(0, followers), following: Math.max(0, following), tweets: Math.max(0, tweets), pulled: change.pulled ? 1 : 0 })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet((eb) => ({
          followers: eb(eb.ref('feed_users.followers'), '+', followers),
          following: eb(eb.ref('feed_users.following'), '+', following),
          tweets: eb(eb.ref('feed_users.tweets'), '+', tweets),
          ...(change.pulled ? { pulled: 1 } : {}),
        })),
      )
      .execute();
  }

  /** A user's numbers (zeros before the row exists). */
  async counts(userId: bigint, db: FeedDb = this.#db): Promise<UserCounts> {
    const row = await db.selectFrom('feed_users').select(['followers', 'following', 'tweets', 'last_read_at', 'pulled']).where('user_id', '=', userId).executeTakeFirst();
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
    await db
      .insertInto('feed_users')
      .values({ user_id: userId, last_read_at: at })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ last_read_at: at }))
      .execute();
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

  /**
   * One page of an author's followers who read their home timeline since `activeSince`, in id
   * order after `after` (follows_followee_idx, then one primary-key probe of feed_users each).
   */
  async activeFollowers(followeeId: bigint, activeSince: number, limit: number, after?: bigint): Promise<bigint[]> {
    let query = this.#db
      .selectFrom('follows')
      .innerJoin('feed_users', 'feed_users.user_id', 'follows.follower_id')
      .select(idText('follows.follower_id').as('follower'))
      .where('follows.followee_id', '=', followeeId)
      .where('feed_users.last_read_at', '>=', activeSince)
      .orderBy('follows.follower_id')
      .limit(limit);
    if (after !== undefined) query = query.where('follows.follower_id', '>', after);
    return (await query.execute()).map((r) => BigInt(r.follower));
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
