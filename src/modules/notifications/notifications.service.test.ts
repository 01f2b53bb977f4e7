import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../platform/sql/index.js';
import type { QueueMessage } from '../../platform/queue/index.js';
import type { FeedEvent } from './feed-event.js';
import { notificationsConsumer } from './notifications.consumer.js';
import { notificationsMigrations } from './notifications.migrations.js';
import type { Notification } from './notifications.model.js';
import { NotificationsRepository } from './notifications.repository.js';
import { NotificationsService } from './notifications.service.js';
import type { NotificationsTables } from './notifications.tables.js';
import { describeEachDialect } from '../../platform/sql/testing/test-databases.js';

describeEachDialect('notifications', (dialect) => {
  let db: SqlDatabase<NotificationsTables>;
  let repository: NotificationsRepository;
  let service: NotificationsService;
  let sent: Notification[];
  let ids: bigint;
  let handle: (event: FeedEvent) => Promise<void>;

  beforeEach(async () => {
    db = await dialect.open<NotificationsTables>();
    await db.migrate(notificationsMigrations);
    repository = new NotificationsRepository(db);
    service = new NotificationsService(repository);
    sent = [];
    // Ids that cross a digit boundary: text order would put "10" before "9".
    ids = 7n;
    const handler = notificationsConsumer({
      repository,
      nextId: () => (ids++).toString(),
      now: () => 0,
      live: async (created) => void sent.push(...created),
      onError: (e) => {
        throw e;
      },
    });
    let n = 0;
    handle = (event) => handler({ id: String(++n), topic: 'feed.notifications', key: null, payload: event, attempt: 1, publishedAt: 0, traceparent: null } satisfies QueueMessage<FeedEvent>);
  });
  afterEach(() => db.close());

  const follow = (follower: string, followee = 'me', at = 1): FeedEvent => ({ type: 'user_followed', followerId: follower, followeeId: followee, at });
  const like = (liker: string, tweetId: string, at = 2): FeedEvent => ({ type: 'tweet_liked', tweetId, authorId: 'me', userId: liker, at });

  describe('notifications consumer', () => {
    it('creates each notification once under redelivery, and sends each live once', async () => {
      const events = [follow('b'), like('c', 't1'), { type: 'tweet_posted', tweetId: 't2', authorId: 'd', text: '@me', replyTo: null, replyToAuthorId: null, mentions: ['me'], hashtags: [], createdAt: 3 } as FeedEvent];
      for (const e of events) await handle(e);
      for (const e of events) await handle(e);
      await handle(follow('b', 'me', 50));
      const page = await service.list('me', { limit: 10 });
      expect(page.items.map((n) => [n.kind, n.actorId, n.tweetId])).toEqual([['mention', 'd', 't2'], ['like', 'c', 't1'], ['follow', 'b', null]]);
      expect(sent.map((n) => n.kind)).toEqual(['follow', 'like', 'mention']);
      expect(page.unread).toBe(3);
    });

    it('removes a deleted tweet\'s notifications and keeps late events about it out', async () => {
      await handle(like('b', 't1'));
      await handle(like('c', 't2'));
      await handle({ type: 'tweet_deleted', tweetId: 't1', authorId: 'me', at: 5 });
      await handle(like('d', 't1'));
      await handle({ type: 'tweet_posted', tweetId: 't1', authorId: 'x', text: '', replyTo: null, replyToAuthorId: null, mentions: ['me'], hashtags: [], createdAt: 1 });
      expect((await service.list('me', { limit: 10 })).items.map((n) => n.tweetId)).toEqual(['t2']);
    });

    it('refuses malformed events (so they are retried, then dead-lettered)', async () => {
      await expect(handle({ type: 'user_followed', followerId: 5, followeeId: 'me', at: 1 } as unknown as FeedEvent)).rejects.toThrow('malformed');
    });
  });

  describe('NotificationsService', () => {
    it('pages newest first in numeric id order, without repeats', async () => {
      for (let i = 0; i < 7; i++) await handle(follow(`u${i}`));
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 5; i++) {
        const page = await service.list('me', { limit: 3, ...(cursor === undefined ? {} : { cursor }) });
        seen.push(...page.items.map((n) => n.id));
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      expect(seen).toEqual(['13', '12', '11', '10', '9', '8', '7']);
      await expect(service.list('me', { limit: 3, cursor: 'x1' })).rejects.toMatchObject({ code: 'cursor_invalid', status: 400 });
    });

    it('marks read up to an id or all, never down, never past the newest', async () => {
      for (let i = 0; i < 4; i++) await handle(follow(`u${i}`)); // ids 7, 8, 9, 10
      expect(await service.markRead('me', '8')).toEqual({ unread: 2 });
      let page = await service.list('me', { limit: 10 });
      expect(page.items.map((n) => [n.id, n.read])).toEqual([['10', false], ['9', false], ['8', true], ['7', true]]);
      expect(await service.markRead('me', '7')).toEqual({ unread: 2 });
      expect(await service.markRead('me', '99999')).toEqual({ unread: 0 });
      // The mark stopped at the newest: a notification arriving now is unread.
      await handle(follow('late'));
      page = await service.list('me', { limit: 10 });
      expect(page.unread).toBe(1);
      expect(page.items[0]).toMatchObject({ actorId: 'late', read: false });
      expect(await service.markRead('me')).toEqual({ unread: 0 });
      expect(await service.markRead('nobody')).toEqual({ unread: 0 });
      await expect(service.markRead('me', '-1')).rejects.toMatchObject({ code: 'notification_id_invalid' });
      // Others' marks are their own.
      await handle(follow('b', 'other'));
      expect((await service.list('other', { limit: 10 })).unread).toBe(1);
    });
  });
});
