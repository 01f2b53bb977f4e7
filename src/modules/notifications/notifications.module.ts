import type { ConsumerContext } from '../../shared/module.js';
import { defineModule } from '../../shared/module.js';
import type { UserDirectory } from '../accounts/index.js';
import { createNotifications, notificationsMigrations, type Notifications } from './index.js';

export interface NotificationsModule {
  readonly notifications: Notifications;
  readonly routes: Notifications['routes'];
  consumers(context: ConsumerContext): ReturnType<Notifications['startConsumer']>[];
  close(): Promise<void>;
}

/** Notifications: listed and marked read by the API role, created from feed events by the worker role, pushed live. */
export const notificationsModule = defineModule({
  name: 'notifications',
  needs: ['users'],
  migrations: () => notificationsMigrations,
  create: ({ adapters, clock, ids, logger }, { users }: { users: { directory: UserDirectory } }): NotificationsModule => {
    const notifications = createNotifications({
      sql: adapters.sql,
      users: users.directory,
      pubsub: adapters.pubsub,
      clock,
      ids,
      onError: (err) => logger.warn({ err }, 'live notification failed'),
    });
    return {
      notifications,
      routes: notifications.routes,
      consumers: ({ queue, registry, around }) => [notifications.startConsumer(queue, { registry, around })],
      close: async () => {},
    };
  },
});
