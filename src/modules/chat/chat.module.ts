import { defineModule } from '../../shared/module.js';
import type { UserDirectory } from '../accounts/index.js';
import type { ChatNotifications } from '../notifications/index.js';
import { chatMigrations, createChat, NO_EVENTS, type Chat, type ChatService } from './index.js';

export interface ChatModule {
  readonly service: ChatService;
  readonly routes: Chat['routes'];
  close(): Promise<void>;
}

/**
 * Chat (API role): the REST routes and the service; offline members are notified through the
 * notifications module. Events go to the sink set here — none yet: the
 * socket layer (chat.socket*.ts, chat.delivery.ts) attaches its delivery over the presence
 * registry and pub/sub.
 */
export const chatModule = defineModule({
  name: 'chat',
  needs: ['users', 'notifications'],
  migrations: (dialect) => chatMigrations(dialect),
  create: (
    { config, adapters, clock, ids, logger },
    { users, notifications }: { users: { directory: UserDirectory }; notifications: { notifications: { chat: ChatNotifications } } },
  ): ChatModule => {
    const chat = createChat({
      sql: adapters.sql,
      users: users.directory,
      clock,
      ids,
      events: NO_EVENTS,
      // Offline members hear of new messages there: one `chat_message` per conversation until read.
      notifier: notifications.notifications.chat,
      sendLimit: config.chatSendLimit === null ? undefined : { store: adapters.rateLimits, rule: config.chatSendLimit },
      onError: (err) => logger.warn({ err }, 'chat event or notification failed'),
    });
    return { service: chat.service, routes: chat.routes, close: () => chat.service.close() };
  },
});
