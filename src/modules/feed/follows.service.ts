import type { Clock } from '../../platform/clock/index.js';
import type { GroupCommit } from '../../platform/sql/index.js';
import type { PublicUser, UserDirectory } from '../accounts/index.js';
import { FeedUserNotFoundError, TweetInputError } from './feed.errors.js';
import { userIdOf } from './feed.ids.js';
import type { Page, Profile, UserSummary } from './feed.model.js';
import type { FeedTables } from './feed.tables.js';
import type { FollowsRepository } from './follows.repository.js';
import { emit } from './feed.outbox.js';
import type { Actor } from './tweets.service.js';
import type { Fanout } from './fanout.js';

export interface FollowsServiceDeps {
  follows: FollowsRepository;
  writes: GroupCommit<FeedTables>;
  /** What reaches home timelines after a commit. */
  fanout: Fanout;
  clock: Clock;
  users: Pick<UserDirectory, 'byUsername' | 'byIds'>;
  outbox: { notify(): void };
}

/** Following and unfollowing, profiles and follower lists. */
export class FollowsService {
  readonly #deps: FollowsServiceDeps;

  constructor(deps: FollowsServiceDeps) {
    this.#deps = deps;
  }

  /** A user by name, or 404. */
  async user(username: string): Promise<PublicUser> {
    const user = await this.#deps.users.byUsername(username);
    if (user === null) throw new FeedUserNotFoundError(username);
    return user;
  }

  /**
   * Follows a user, idempotently. A new follow counts on both sides and emits `user_followed`; the
   * new author's tweets then reach the follower's cached home timeline (see HomeFeeds.followed).
   */
  async follow(actor: Actor, username: string): Promise<boolean> {
    const { follows, writes, clock, outbox, fanout } = this.#deps;
    const followee = await this.user(username);
    if (followee.id === actor.userId) throw new TweetInputError('cannot_follow_self', 'You cannot follow yourself', '/username');
    const [me, them] = [userIdOf(actor.userId), userIdOf(followee.id)];
    const now = clock.now();
    const added = await writes.run(async (trx) => {
      if (!(await follows.follow(trx, me, them, now))) return false;
      await follows.changeCounts(trx, me, { following: 1 });
      await follows.changeCounts(trx, them, { followers: 1 });
      await emit(trx, { type: 'user_followed', followerId: actor.userId, followeeId: followee.id, at: now }, actor.userId, now);
      return true;
    });
    if (added) {
      outbox.notify();
      await fanout.followed(me, them);
    }
    return true;
  }

  /**
   * Unfollows, idempotently. The author's tweets leave the home timeline at once (reads check the
   * followed set), and the cache (see HomeFeeds.unfollowed).
   */
  async unfollow(actor: Actor, username: string): Promise<boolean> {
    const { follows, writes, clock, outbox, fanout } = this.#deps;
    const followee = await this.user(username);
    const [me, them] = [userIdOf(actor.userId), userIdOf(followee.id)];
    const now = clock.now();
    const removed = await writes.run(async (trx) => {
      if (!(await follows.unfollow(trx, me, them))) return false;
      await follows.changeCounts(trx, me, { following: -1 });
      await follows.changeCounts(trx, them, { followers: -1 });
      await emit(trx, { type: 'user_unfollowed', followerId: actor.userId, followeeId: followee.id, at: now }, actor.userId, now);
      return true;
    });
    if (removed) {
      outbox.notify();
      await fanout.unfollowed(me, them);
    }
    return false;
  }

  /** A user's public numbers. */
  async profile(username: string): Promise<Profile> {
    const user = await this.user(username);
    const counts = await this.#deps.follows.counts(userIdOf(user.id));
    return {
      id: user.id,
      username: user.username,
      displayName: user.username,
      followers: counts.followers,
      following: counts.following,
      tweets: counts.tweets,
      createdAt: new Date(user.createdAt).toISOString(),
    };
  }

  /**
   * Followers or followees of a user, a page at a time, by account id, highest first (the order the
   * follow indexes already keep; follow-time order would cost two more indexes on the follows table).
   */
  async list(direction: 'followers' | 'following', username: string, limit: number, cursor?: bigint): Promise<Page<UserSummary>> {
    const user = await this.user(username);
    const ids = await this.#deps.follows.page(direction, userIdOf(user.id), limit, cursor);
    const found = await this.#deps.users.byIds(ids.map(String));
    const items = ids.flatMap((id) => {
      const u = found.get(id.toString());
      return u === undefined ? [] : [{ id: u.id, username: u.username, displayName: u.username }];
    });
    // The cursor follows the ids read, not the users found: a vanished account does not end the list.
    return { items, nextCursor: ids.length === limit ? ids[ids.length - 1]!.toString() : null };
  }
}
