import type { FeedEvent } from './feed.events.js';
import { userIdOf } from './feed.ids.js';
import type { FollowsRepository } from './follows.repository.js';
import type { TweetReads } from './feed.shards.js';
import type { Delivery, HomeFeeds } from './home-feeds.js';

export interface FanoutConsumerDeps {
  home: HomeFeeds;
  follows: FollowsRepository;
  tweets: Pick<TweetReads, 'facts'>;
}

/**
 * The queued fan-out (timelines in Redis, which outlive processes): the handler of a batch of feed
 * events, in outbox order. The follower graph it delivers from is this process's copy, kept in step
 * by the events themselves. Idempotent and order-tolerant: follows are applied as the database has
 * them now (a follow undone before its event is not applied), the store deduplicates pushes, so a
 * redelivered batch changes nothing.
 *
 * Within a batch: follows and reads first (so the graph is current), then deliveries, then
 * retractions; a tweet delivered and deleted in one batch ends up retracted.
 */
export function fanoutHandler(deps: FanoutConsumerDeps): (events: readonly FeedEvent[]) => Promise<void> {
  const { home, follows, tweets } = deps;
  const { graph } = home;
  return async (events) => {
    const pairs: [bigint, bigint][] = [];
    for (const e of events) if (e.type === 'user_followed' || e.type === 'user_unfollowed') pairs.push([userIdOf(e.followerId), userIdOf(e.followeeId)]);
    const now = await follows.existing(pairs);
    const deliveries: Delivery[] = [];
    const retractions: { tweetId: bigint; authorId: bigint }[] = [];
    // Timeline changes of follows go out together (the store pipelines them); each once per pair.
    const followChanges = new Map<string, () => Promise<void>>();
    for (const e of events) {
      switch (e.type) {
        case 'user_followed':
        case 'user_unfollowed': {
          const [follower, followee] = [userIdOf(e.followerId), userIdOf(e.followeeId)];
          const key = `${follower}>${followee}`;
          // The event says what happened; the database says what holds now, which is what counts.
          if (now.has(key)) {
            graph.add(follower, followee);
            if (e.type === 'user_followed') followChanges.set(key, () => home.followed(follower, followee));
          } else {
            graph.remove(follower, followee);
            if (e.type === 'user_unfollowed') followChanges.set(key, () => home.unfollowed(follower, followee));
          }
          break;
        }
        case 'user_read':
          graph.markRead(userIdOf(e.userId), e.at);
          break;
        case 'tweet_posted': {
          const pushed = e.pushed ?? (await tweets.facts(BigInt(e.tweetId)))?.pushed ?? false;
          if (pushed) deliveries.push({ tweetId: BigInt(e.tweetId), authorId: userIdOf(e.authorId), createdAt: e.createdAt });
          break;
        }
        case 'tweet_deleted': {
          const pushed = e.pushed ?? (await tweets.facts(BigInt(e.tweetId)))?.pushed ?? false;
          if (pushed) retractions.push({ tweetId: BigInt(e.tweetId), authorId: userIdOf(e.authorId) });
          break;
        }
        case 'tweet_liked':
          break;
      }
    }
    await Promise.all([...followChanges.values()].map((change) => change()));
    await home.deliver(deliveries);
    await Promise.all(retractions.map((r) => home.retract(r.tweetId, r.authorId)));
  };
}
