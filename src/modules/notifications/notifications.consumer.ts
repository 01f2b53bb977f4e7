import { batchHandler } from '../../platform/outbox/index.js';
import type { MessageHandler } from '../../platform/queue/index.js';
import type { FeedEvent } from './feed-event.js';
import { notificationsFor } from './notification-rules.js';
import type { Notification } from './notifications.model.js';
import type { NotificationsRepository } from './notifications.repository.js';

export interface NotificationsConsumerDeps {
  repository: NotificationsRepository;
  nextId: () => string;
  now: () => number;
  /** Sends new notifications to their recipients' live streams; best effort. */
  live: (created: Notification[]) => Promise<void>;
  onError: (error: unknown) => void;
  onCreated?: (count: number) => void;
}

/**
 * The `feed.notifications` handler: creates the notifications an event calls for, once each (a
 * redelivery finds them there and creates nothing, so nothing is sent live twice either), and
 * removes those of a deleted tweet. The stored list is the truth; the live push is best effort:
 * a failed publish is reported, not retried, since a retry would find nothing new to send.
 */
export function notificationsConsumer(deps: NotificationsConsumerDeps): MessageHandler<FeedEvent | FeedEvent[]> {
  // A batch of events in one transaction; what it created goes live after the commit.
  return batchHandler<FeedEvent>(async (events) => {
    const created = await deps.repository.transaction(async (trx) => {
      const made: Notification[] = [];
      for (const event of events) {
        if (event.type === 'tweet_deleted') {
          if (typeof event.tweetId !== 'string') throw new Error('malformed tweet_deleted event');
          await deps.repository.removeForTweet(event.tweetId, Number.isFinite(event.at) ? event.at : deps.now(), trx);
          continue;
        }
        const planned = notificationsFor(event);
        for (const p of planned) {
          if (typeof p.recipientId !== 'string' || typeof p.actorId !== 'string' || !Number.isFinite(p.createdAt)) throw new Error(`malformed ${event.type} event`);
        }
        made.push(...(await deps.repository.insert(planned, deps.nextId, trx)));
      }
      return made;
    });
    deps.onCreated?.(created.length);
    if (created.length > 0) await deps.live(created).catch(deps.onError);
  });
}
