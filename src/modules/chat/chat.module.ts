import { defineModule } from '../../shared/module.js';
import type { UserDirectory } from '../accounts/index.js';
import { chatMigrations, createChat, NO_EVENTS, type Chat, type ChatService } from './index.js';

export interface ChatModule {
  readonly service: ChatService;
  readonly routes: Chat['routes'];
  close(): Promise<void>;
}

/**
 * Chat (API role): the REST routes and the service. Events go to the sink set here — none yet: the
 * socket layer (chat.socket*.ts, chat.delivery.ts) attaches its delivery over the presence
 * registry and pub/sub.
 */
export const chatModule = defineModule({
  name: 'chat',
  needs: ['users'],
  migrations: (dialect) => chatMigrations(dialect),
  create: ({ config, adapters, clock, ids, logger }, { users }: { users: { directory: UserDirectory } }): ChatModule => {
    const chat = createChat({
      sql: adapters.sql,
      users: users.directory,
      clock,
      ids,
      events: NO_EVENTS,
      sendLimit: config.chatSendLimit === null ? undefined : { store: adapters.rateLimits, rule: config.chatSendLimit },
      onError: (err) => logger.warn({ err }, 'chat event or notification failed'),
    });
    return { service: chat.service, routes: chat.routes, close: async () => {} };
  },
});
