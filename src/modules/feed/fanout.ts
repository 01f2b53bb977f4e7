import type { TimelineStore } from '../../platform/timelines/index.js';
import type { FollowerGraph } from './follower-graph.js';
import type { FollowsRepository } from './follows.repository.js';
import type { Delivery, HomeFeeds } from './home-feeds.js';
import type { SqlReaders } from './feed.readers.js';

/**
 * What the write path does once a change is committed, by where the home timelines live:
 * - inline ({@link inlineFanout}): the timelines are in this process (the embedded topology), so
 *   the change reaches them right after its commit, from the follower graph this process keeps.
 *   They die with the process and are rebuilt from the tweets table on the next read, so a durable
 *   queue in front of them would buy nothing;
 * - queued ({@link queuedFanout}): the timelines outlive the process (Redis), so the change goes
 *   through the outbox and the queue to the fan-out consumer (fanout.consumer.ts), which redelivers
 *   until it is done.
 * Every method is called after the commit succeeded, never inside the transaction.
 */
export interface Fanout {
  /** `inline` or `queued` (for metrics and the relay's routes). */
  readonly mode: 'inline' | 'queued';
  /** The author's follower count now: the celebrity decision at posting. */
  followerCount(authorId: bigint): Promise<number>;
  /** A tweet was committed; `pushed` says whether it is fanned out. */
  posted(tweet: Delivery, pushed: boolean): Promise<void>;
  /** A tweet was deleted. */
  deleted(tweetId: bigint, authorId: bigint, pushed: boolean): Promise<void>;
  followed(followerId: bigint, followeeId: bigint): Promise<void>;
  unfollowed(followerId: bigint, followeeId: bigint): Promise<void>;
  /** The author posted a tweet that readers pull (the sticky `pulled` mark). */
  pulled(authorId: bigint): void;
  /** A reader's read was recorded at `at`. */
  markedRead(userId: bigint, at: number): void;
}

/** The embedded topology's fan-out: inline, from this process's follower graph into its timelines. */
export function inlineFanout(home: HomeFeeds, graph: FollowerGraph): Fanout {
  return {
    mode: 'inline',
    followerCount: async (authorId) => graph.followerCount(authorId),
    async posted(tweet, pushed) {
      if (pushed) home.deliverLocal([tweet]);
    },
    async deleted(tweetId, authorId, pushed) {
      if (pushed) await home.retract(tweetId, authorId);
    },
    async followed(followerId, followeeId) {
      graph.add(followerId, followeeId);
      // Merging needs a read of the author's tweets; if that fails, the next read rebuilds instead.
      await home.followed(followerId, followeeId).catch(() => home.forget(followerId));
    },
    async unfollowed(followerId, followeeId) {
      graph.remove(followerId, followeeId);
      await home.unfollowed(followerId, followeeId);
    },
    pulled: (authorId) => graph.setPulled(authorId),
    markedRead: (userId, at) => graph.markRead(userId, at),
  };
}

/**
 * The scaled topology's fan-out: the consumer does the work from the queue. The API drops a new
 * follower's timeline so that their next read rebuilds it with the new author in. An author reads
 * their own tweet at once without a push here: for a minute after they posted through this
 * process, their reads merge their newest tweets from the database unless the cached page already
 * holds them (a push here would land before the consumer's older deliveries to the same timeline,
 * which then all arrive late, each a rewrite of the timeline's tail in Redis).
 */
export function queuedFanout(follows: FollowsRepository, timelines: TimelineStore, readers: SqlReaders): Fanout {
  return {
    mode: 'queued',
    followerCount: async (authorId) => (await follows.counts(authorId)).followers,
    async posted(tweet) {
      readers.posted(tweet.authorId, tweet.tweetId);
    },
    async deleted(tweetId, authorId) {
      readers.unposted(authorId, tweetId);
    },
    async followed(followerId) {
      readers.forget(followerId);
      await timelines.drop(followerId).catch(() => undefined);
    },
    async unfollowed(followerId) {
      readers.forget(followerId);
    },
    pulled: (authorId) => readers.pulled(authorId),
    markedRead: (userId, at) => readers.markedRead(userId, at),
  };
}
