/**
 * What the feed publishes (through the outbox, then the queue). Consumers — fan-out, notifications,
 * search — must be idempotent: delivery is at least once. Ids are decimal strings. The relay
 * publishes them in batches: a message's payload is an array of events, in outbox order (older
 * single-event messages may still be queued: read them with `eventsOf`).
 */
export const FEED_EVENTS_TOPIC = 'feed.events';
/** Home-timeline reads recorded (`user_read`): only the fan-out consumer needs them. */
export const FEED_READS_TOPIC = 'feed.reads';

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
      /** Fanned out on write (absent in events of older versions: the consumer then reads the row). */
      pushed?: boolean;
    }
  | { type: 'tweet_deleted'; tweetId: string; authorId: string; at: number; pushed?: boolean }
  | { type: 'tweet_liked'; tweetId: string; authorId: string; userId: string; at: number }
  | { type: 'user_followed'; followerId: string; followeeId: string; at: number }
  | { type: 'user_unfollowed'; followerId: string; followeeId: string; at: number }
  | { type: 'user_read'; userId: string; at: number };

/** The topic of each consumer group: every event goes to each group's own topic, so each sees all of them. */
export const FANOUT_TOPIC = 'feed.fanout';
export const FEED_EVENT_GROUPS = [FANOUT_TOPIC, 'feed.notifications', 'feed.search'] as const;
export type FeedEventGroup = (typeof FEED_EVENT_GROUPS)[number];

/**
 * Where the outbox relay sends the feed's events: with the timelines in this process (inline
 * fan-out) nothing goes to the fan-out topic, and recorded reads go nowhere.
 */
export function feedRelayRoutes(mode: 'inline' | 'queued'): Record<string, readonly string[]> {
  const others = FEED_EVENT_GROUPS.filter((g) => g !== FANOUT_TOPIC);
  return mode === 'inline'
    ? { [FEED_EVENTS_TOPIC]: others, [FEED_READS_TOPIC]: [] }
    : { [FEED_EVENTS_TOPIC]: FEED_EVENT_GROUPS, [FEED_READS_TOPIC]: [FANOUT_TOPIC] };
}
