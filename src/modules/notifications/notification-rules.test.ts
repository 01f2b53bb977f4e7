import { describe, expect, it } from 'vitest';
import type { FeedEvent } from './feed-event.js';
import { dedupeKey, notificationsFor } from './notification-rules.js';

const posted = (over: Partial<Extract<FeedEvent, { type: 'tweet_posted' }>>): FeedEvent => ({
  type: 'tweet_posted', tweetId: 't1', authorId: 'a', text: 'hi', replyTo: null, replyToAuthorId: null, mentions: [], hashtags: [], createdAt: 10, ...over,
});

describe('notificationsFor', () => {
  it('notifies each mentioned user once, never the author', () => {
    expect(notificationsFor(posted({ mentions: ['b', 'c', 'b', 'a'] }))).toEqual([
      { recipientId: 'b', kind: 'mention', actorId: 'a', tweetId: 't1', createdAt: 10 },
      { recipientId: 'c', kind: 'mention', actorId: 'a', tweetId: 't1', createdAt: 10 },
    ]);
  });

  it('notifies the author replied to with a reply (not also a mention), unless replying to oneself', () => {
    expect(notificationsFor(posted({ replyTo: 't0', replyToAuthorId: 'b', mentions: ['b', 'c'] }))).toEqual([
      { recipientId: 'b', kind: 'reply', actorId: 'a', tweetId: 't1', createdAt: 10 },
      { recipientId: 'c', kind: 'mention', actorId: 'a', tweetId: 't1', createdAt: 10 },
    ]);
    expect(notificationsFor(posted({ replyTo: 't0', replyToAuthorId: 'a' }))).toEqual([]);
  });

  it('notifies likes to the tweet author and follows to the followee, never oneself', () => {
    expect(notificationsFor({ type: 'tweet_liked', tweetId: 't1', authorId: 'a', userId: 'b', at: 20 })).toEqual([
      { recipientId: 'a', kind: 'like', actorId: 'b', tweetId: 't1', createdAt: 20 },
    ]);
    expect(notificationsFor({ type: 'tweet_liked', tweetId: 't1', authorId: 'a', userId: 'a', at: 20 })).toEqual([]);
    expect(notificationsFor({ type: 'user_followed', followerId: 'b', followeeId: 'a', at: 30 })).toEqual([
      { recipientId: 'a', kind: 'follow', actorId: 'b', tweetId: null, createdAt: 30 },
    ]);
    expect(notificationsFor({ type: 'user_followed', followerId: 'a', followeeId: 'a', at: 30 })).toEqual([]);
  });

  it('ignores the other events', () => {
    expect(notificationsFor({ type: 'user_unfollowed', followerId: 'b', followeeId: 'a', at: 1 })).toEqual([]);
    expect(notificationsFor({ type: 'tweet_deleted', tweetId: 't', authorId: 'a', at: 1 })).toEqual([]);
    expect(notificationsFor({ type: 'something_new' } as unknown as FeedEvent)).toEqual([]);
  });

  it('keys a notification by kind and source ids, not by time', () => {
    const like = { recipientId: 'a', kind: 'like', actorId: 'b', tweetId: 't1', createdAt: 20 } as const;
    expect(dedupeKey(like)).toBe(dedupeKey({ ...like, createdAt: 99 }));
    expect(dedupeKey(like)).not.toBe(dedupeKey({ ...like, tweetId: 't2' }));
    expect(dedupeKey({ ...like, kind: 'follow', tweetId: null })).toBe('follow:b:');
  });
});
