import type { FeedEvent } from './feed-event.js';
import type { PlannedNotification } from './notifications.model.js';

/**
 * The notifications a feed event calls for: a mention to each mentioned user, a reply to the author
 * replied to (who then gets no separate mention for the same tweet), a like to the tweet's author,
 * a follow to the followee; never one to the actor themself. Other events call for none.
 */
export function notificationsFor(event: FeedEvent): PlannedNotification[] {
  switch (event.type) {
    case 'tweet_posted': {
      const { authorId, tweetId, createdAt } = event;
      const out: PlannedNotification[] = [];
      const replied = event.replyToAuthorId;
      if (typeof replied === 'string' && replied !== authorId) out.push({ recipientId: replied, kind: 'reply', actorId: authorId, tweetId, createdAt });
      const mentioned = new Set(Array.isArray(event.mentions) ? event.mentions : []);
      for (const userId of mentioned) {
        if (typeof userId !== 'string' || userId === authorId || userId === replied) continue;
        out.push({ recipientId: userId, kind: 'mention', actorId: authorId, tweetId, createdAt });
      }
      return out;
    }
    case 'tweet_liked':
      return event.userId === event.authorId ? [] : [{ recipientId: event.authorId, kind: 'like', actorId: event.userId, tweetId: event.tweetId, createdAt: event.at }];
    case 'user_followed':
      return event.followerId === event.followeeId ? [] : [{ recipientId: event.followeeId, kind: 'follow', actorId: event.followerId, tweetId: null, createdAt: event.at }];
    default:
      return [];
  }
}

/**
 * What makes two notifications the same one: kind and source ids. A follow-unfollow-follow or a
 * like-unlike-like notifies once, which is also what keeps such toggling from spamming anyone.
 * Chat messages: the conversation alone, whoever wrote (one per conversation until it is read).
 */
export function dedupeKey(n: PlannedNotification): string {
  if (n.kind === 'chat_message') return chatDedupeKey(n.conversationId ?? '');
  return `${n.kind}:${n.actorId}:${n.tweetId ?? ''}`;
}

/** The dedupe key of a conversation's chat notification. */
export function chatDedupeKey(conversationId: string): string {
  return `chat_message:${conversationId}`;
}
