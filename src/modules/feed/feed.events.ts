/**
 * What the feed publishes (through the outbox, then the queue). Consumers — fan-out, notifications,
 * search, the live stream — must be idempotent: delivery is at least once. Ids are decimal strings.
 */
export const FEED_EVENTS_TOPIC = 'feed.events';

export type FeedEvent =
  | {
      type: 'tweet_posted';
      tweetId: string;
      authorId: string;
      text: string;
      /** The tweet answered, and its author, for replies. */
      replyTo: string | null;
      replyToAuthorId: string | null;
      /** Users mentioned (resolved @names), without the author. */
      mentions: string[];
      /** Lower-case, without '#'. */
      hashtags: string[];
      createdAt: number;
    }
  | { type: 'tweet_deleted'; tweetId: string; authorId: string; at: number }
  | { type: 'tweet_liked'; tweetId: string; authorId: string; userId: string; at: number }
  | { type: 'user_followed'; followerId: string; followeeId: string; at: number }
  | { type: 'user_unfollowed'; followerId: string; followeeId: string; at: number };

/** Consumer groups: every event goes to each group's own topic, so each sees all of them. */
export const FEED_EVENT_GROUPS = ['feed.fanout', 'feed.notifications', 'feed.search'] as const;
export type FeedEventGroup = (typeof FEED_EVENT_GROUPS)[number];
