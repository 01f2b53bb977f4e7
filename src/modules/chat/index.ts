import type { FastifyPluginAsync } from 'fastify';
import type { Clock } from '../../platform/clock/index.js';
import type { IdGenerator } from '../../platform/ids/index.js';
import type { RateLimitRule, RateLimitStore } from '../../platform/ratelimit/index.js';
import { tablesOf, type SqlDatabase } from '../../platform/sql/index.js';
import type { UserDirectory } from '../accounts/index.js';
import type { ChatEventSink, ChatNotifier } from './chat.model.js';
import { ChatRepository } from './chat.repository.js';
import { chatRoutes } from './chat.routes.js';
import { ChatServiceImpl, type ChatService } from './chat.service.js';
import type { ChatTables } from './chat.tables.js';
import { ChatUsers } from './chat.views.js';

export { chatMigrations } from './chat.migrations.js';
export * from './chat.errors.js';
export { MAX_MEMBERS, MAX_MESSAGE_LENGTH, NO_EVENTS } from './chat.model.js';
export type { ChatEvent, ChatEventSink, ChatMessageEvent, ChatNotifier, ConversationSummaryView, ConversationView, MemberRole, MessageView, UserView } from './chat.model.js';
export type { ChatService } from './chat.service.js';

export interface ChatDeps {
  sql: SqlDatabase<unknown>;
  users: Pick<UserDirectory, 'byIds' | 'byUsername'>;
  clock: Clock;
  ids: IdGenerator;
  /** Where events go after each commit (default: nowhere until `service.attach`). */
  events?: ChatEventSink | undefined;
  /** The per-user send limit (CHAT_SEND_RATE_LIMIT), decided in `store`. */
  sendLimit?: { store: RateLimitStore; rule: RateLimitRule } | undefined;
  notifier?: ChatNotifier | undefined;
  onError?: ((error: unknown) => void) | undefined;
}

export interface Chat {
  readonly service: ChatService;
  /** `/api/v1/conversations*`, `/api/v1/chat/blocks*`. */
  readonly routes: FastifyPluginAsync;
}

/** The chat module: conversations, messages with a per-conversation order, receipts, blocks. */
export function createChat(deps: ChatDeps): Chat {
  const service = new ChatServiceImpl({
    repository: new ChatRepository(tablesOf<ChatTables>(deps.sql)),
    users: new ChatUsers(deps.users),
    clock: deps.clock,
    ids: deps.ids,
    events: deps.events,
    sendLimit: deps.sendLimit,
    notifier: deps.notifier,
    onError: deps.onError,
  });
  return { service, routes: chatRoutes(service) };
}
