import { defineModule } from '../../shared/module.js';
import type { Accounts, Principal, UserDirectory } from '../accounts/index.js';
import type { ChatNotifications } from '../notifications/index.js';
import { chatMigrations, createChat, type Chat, type ChatService } from './index.js';
import { createChatRealtime, type ChatRealtime } from './chat.socket.js';

export interface ChatModule {
  readonly service: ChatService;
  readonly routes: Chat['routes'];
  /** The WebSocket side: `GET /api/v1/chat/socket`, the sockets this process holds. */
  readonly socket: ChatRealtime;
  start(): Promise<void>;
  close(): Promise<void>;
}

interface ChatNeeds {
  users: { directory: UserDirectory };
  notifications: { notifications: { chat: ChatNotifications } };
  accounts: Pick<Accounts, 'onSessionRevoked'>;
  oauth: { authenticate(authorization: string): Promise<Principal | null> };
}

/**
 * Chat (API role): the REST routes, the service and the WebSocket; offline members are notified
 * through the notifications module. Events go from the service to the socket layer's delivery
 * (chat.delivery.ts), over the presence registry and pub/sub, to whichever process holds the
 * members' sockets.
 */
export const chatModule = defineModule({
  name: 'chat',
  needs: ['users', 'notifications', 'accounts', 'oauth'],
  migrations: (dialect) => chatMigrations(dialect),
  create: ({ config, adapters, clock, ids, logger }, needs: ChatNeeds): ChatModule => {
    // The socket layer first: the service hands it events (sink), it calls the service (attach).
    const realtime = createChatRealtime({
      presence: adapters.presence,
      pubsub: adapters.pubsub,
      clock,
      logger,
      authenticate: (authorization) => needs.oauth.authenticate(authorization),
      onSessionRevoked: (listener) => needs.accounts.onSessionRevoked(listener),
      trustedOrigins: config.trustedOrigins,
      users: async (ids) => new Map([...(await needs.users.directory.byIds(ids))].map(([id, u]) => [id, { id, username: u.username, displayName: u.username }])),
      heartbeatMs: config.CHAT_SOCKET_HEARTBEAT_MS,
      presenceTtlMs: config.CHAT_PRESENCE_TTL_MS,
      maxBufferedBytes: config.CHAT_SOCKET_BUFFER_BYTES,
    });
    const chat = createChat({
      sql: adapters.sql,
      users: needs.users.directory,
      clock,
      ids,
      events: realtime.sink,
      // Offline members hear of new messages there: one `chat_message` per conversation until read.
      notifier: needs.notifications.notifications.chat,
      sendLimit: config.chatSendLimit === null ? undefined : { store: adapters.rateLimits, rule: config.chatSendLimit },
      onError: (err) => logger.warn({ err }, 'chat event or notification failed'),
    });
    const socket = realtime.attach(chat.service);
    return {
      service: chat.service,
      socket,
      routes: async (app) => {
        await app.register(chat.routes);
        await app.register(socket.routes);
      },
      start: () => socket.start(),
      // Sockets first (no more frames reach the service), then the service's buffered marks.
      close: async () => {
        await socket.close();
        await chat.service.close();
      },
    };
  },
});
