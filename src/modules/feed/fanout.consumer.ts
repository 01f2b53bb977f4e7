import type { Clock } from '../../platform/clock/index.js';
import type { TimelineStore } from '../../platform/timelines/index.js';
import type { FeedEvent } from './feed.events.js';
import { userIdOf } from './feed.ids.js';
import type { FollowsRepository } from './follows.repository.js';
import type { TweetReads } from './feed.shards.js';

const DAY_MS = 86_400_000;

export interface FanoutDeps {
  tweets: Pick<TweetReads, 'facts'>;
  follows: FollowsRepository;
  timelines: TimelineStore;
  clock: Clock;
  /** Followers who have not read their home timeline for this long are skipped (rebuilt on read). */
  inactiveDays: number;
  /** Followers per store call. */
  batch: number;
  /** Told after each store call that delivered a tweet: how many timelines, and when it was posted. */
  onDelivered?: ((count: number, postedAt: number) => void) | undefined;
  /** Told which timelines a tweet was pushed to or removed from (the live stream's source). */
  onChanged?: ((users: readonly bigint[], change: TimelineChange) => void) | undefined;
}

/** A change fan-out made to home timelines. */
export interface TimelineChange {
  type: 'tweet' | 'delete';
  tweetId: bigint;
  authorId: bigint;
}

/**
 * The fan-out service, one feed event at a time. Idempotent and order-tolerant: it acts on the
 * database as it is now (a tweet deleted before its fan-out is not pushed; a follow undone before
 * its event is not acted on), and the store deduplicates pushes, so redelivery changes nothing.
 *
 * - `tweet_posted`: when the tweet was marked for fan-out at posting (author at or under the
 *   celebrity threshold then), pushes its id to the author's own timeline and to every active
 *   follower's, one store call per `batch` followers. Celebrities' tweets are pulled at read time.
 * - `tweet_deleted`: removes the id from the same timelines, in batches.
 * - `user_followed`: drops the follower's timeline; the next read rebuilds it from the database
 *   with the new author's tweets merged in their place (simplest, and exact).
 * - `user_unfollowed`: removes the author's ids from the follower's timeline.
 */
export function fanoutHandler(deps: FanoutDeps): (event: FeedEvent) => Promise<void> {
  const { tweets, follows, timelines, clock } = deps;

  /** Calls `act` with the author and their active followers, `batch` users per call. */
  async function inBatches(authorId: bigint, act: (users: bigint[]) => Promise<void>): Promise<void> {
    const activeSince = clock.now() - deps.inactiveDays * DAY_MS;
    let users: bigint[] = [authorId];
    let after: bigint | undefined;
    for (;;) {
      const want = Math.max(1, deps.batch - users.length);
      const page = await follows.activeFollowers(authorId, activeSince, want, after);
      users.push(...page);
      if (users.length > 0) await act(users);
      if (page.length < want) return;
      after = page[page.length - 1];
      users = [];
    }
  }

  return async (event) => {
    switch (event.type) {
      case 'tweet_posted': {
        const facts = await tweets.facts(BigInt(event.tweetId));
        if (facts === null || facts.deletedAt !== null || !facts.pushed) return;
        const entry = { tweetId: facts.id, authorId: facts.authorId };
        await inBatches(facts.authorId, async (users) => {
          await timelines.push(users, entry);
          deps.onDelivered?.(users.length, event.createdAt);
          deps.onChanged?.(users, { type: 'tweet', ...entry });
        });
        return;
      }
      case 'tweet_deleted': {
        const facts = await tweets.facts(BigInt(event.tweetId));
        if (facts === null || !facts.pushed) return;
        await inBatches(facts.authorId, async (users) => {
          await timelines.removeTweet(users, facts.id);
          deps.onChanged?.(users, { type: 'delete', tweetId: facts.id, authorId: facts.authorId });
        });
        return;
      }
      case 'user_followed': {
        const [follower, followee] = [userIdOf(event.followerId), userIdOf(event.followeeId)];
        if (await follows.isFollowing(follower, followee)) await timelines.drop(follower);
        return;
      }
      case 'user_unfollowed': {
        const [follower, followee] = [userIdOf(event.followerId), userIdOf(event.followeeId)];
        if (!(await follows.isFollowing(follower, followee))) await timelines.removeAuthor(follower, followee);
        return;
      }
      case 'tweet_liked':
        return;
    }
  };
}
