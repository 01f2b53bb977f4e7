import type { FastifyPluginAsync } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { Clock } from '../../platform/clock/index.js';
import type { IdGenerator } from '../../platform/ids/index.js';
import type { PubSubPort } from '../../platform/pubsub/index.js';
import type { HandlerWrapper, QueuePort, Subscription } from '../../platform/queue/index.js';
import { tablesOf, type SqlDatabase } from '../../platform/sql/index.js';
import type { UserDirectory } from '../accounts/index.js';
import type { FeedEvent } from './feed-event.js';
import { publishToUser } from '../stream/index.js';
import { notificationsConsumer } from './notifications.consumer.js';
import { notificationView, type Notification } from './notifications.model.js';
import { NotificationsRepository } from './notifications.repository.js';
import { notificationsRoutes } from './notifications.routes.js';
import { NotificationsService } from './notifications.service.js';
import type { NotificationsTables } from './notifications.tables.js';

export { notificationsMigrations } from './notifications.migrations.js';
export type { Notification, NotificationKind, NotificationView } from './notifications.model.js';

/** The queue topic the outbox relay fills with every feed event for this module. */
export const NOTIFICATIONS_TOPIC = 'feed.notifications';

export interface NotificationsDeps {
  sql: SqlDatabase<unknown>;
  /** Actor names, for the list and the live events. */
  users: Pick<UserDirectory, 'byIds'>;
  /** Where new notifications are published live (`user:<recipient>` channels). */
  pubsub: Pick<PubSubPort, 'publish'>;
  clock: Clock;
  ids: IdGenerator;
  /** Told about failed live publishes (the notification itself is stored). */
  onError?: (error: unknown) => void;
}

export interface NotificationsConsumerOptions {
  /** Counter `notifications_created_total` goes there. */
  registry?: Registry | undefined;
  /** Wraps the handler (the worker's yield to a busy API thread, waiting out a database outage). */
  around?: HandlerWrapper | undefined;
  concurrency?: number | undefined;
}

/** How the chat notifies offline members (one `chat_message` per recipient and conversation until read). */
export interface ChatNotifications {
  /** Creates the missing notifications and pushes the new ones live. */
  messageSent(recipientIds: readonly string[], conversationId: string, authorId: string, at: number): Promise<void>;
  /** The recipient read the conversation: its notification goes, so the next message notifies again. */
  conversationRead(userId: string, conversationId: string): Promise<void>;
}

export interface Notifications {
  /** `GET /api/v1/notifications`, `POST /api/v1/notifications/read`. */
  routes: FastifyPluginAsync;
  chat: ChatNotifications;
  /** Starts the consumer of `feed.notifications`. */
  startConsumer(queue: QueuePort, options?: NotificationsConsumerOptions): Subscription;
  service: NotificationsService;
}

/** The notifications module: created from feed events, listed and marked read by their recipients, pushed live. */
export function createNotifications(deps: NotificationsDeps): Notifications {
  const repository = new NotificationsRepository(tablesOf<NotificationsTables>(deps.sql));
  const service = new NotificationsService(repository);
  const onError = deps.onError ?? (() => {});
  const { users } = deps;

  const live = async (created: Notification[]) => {
    const actors = await users.byIds([...new Set(created.map((n) => n.actorId))]);
    await Promise.all(
      created.map((n) => publishToUser(deps.pubsub, n.recipientId, { type: 'notification', data: { ...notificationView(n, actors.get(n.actorId)?.username ?? null, false) } })),
    );
  };

  const chat: ChatNotifications = {
    async messageSent(recipientIds, conversationId, authorId, at) {
      const planned = recipientIds.map((recipientId) => ({ recipientId, kind: 'chat_message' as const, actorId: authorId, tweetId: null, conversationId, createdAt: at }));
      const created = await repository.insert(planned, () => deps.ids.next().toString());
      if (created.length > 0) await live(created).catch(onError);
    },
    conversationRead: (userId, conversationId) => repository.removeChat(userId, conversationId),
  };

  return {
    service,
    chat,
    routes: notificationsRoutes(service, users),
    startConsumer(queue, options = {}) {
      const counter =
        options.registry === undefined
          ? undefined
          : new Counter({ name: 'notifications_created_total', help: 'Notifications created from feed events.', registers: [options.registry] });
      const handler = notificationsConsumer({
        repository,
        nextId: () => deps.ids.next().toString(),
        now: () => deps.clock.now(),
        live,
        onError,
        ...(counter === undefined ? {} : { onCreated: (n: number) => counter.inc(n) }),
      });
      return queue.consume<FeedEvent | FeedEvent[]>(
        NOTIFICATIONS_TOPIC,
        options.around === undefined ? handler : options.around(handler),
        { concurrency: options.concurrency ?? 1 },
      );
    },
  };
}
