import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock/index.js';
import type { PresenceRegistry } from '../../platform/presence/index.js';
import type { PubSubPort } from '../../platform/pubsub/index.js';
import type { Principal } from '../accounts/index.js';
import { ChatDelivery } from './chat.delivery.js';
import { ChatHub, type HubService } from './chat.hub.js';
import type { ChatEventSink, UserView } from './chat.model.js';
import { chatSocketRoutes } from './chat.socket.routes.js';

export interface ChatRealtimeOptions {
  presence: PresenceRegistry;
  pubsub: PubSubPort;
  clock: Clock;
  logger: Logger;
  /** The app's check of an Authorization value. */
  authenticate(authorization: string): Promise<Principal | null>;
  /** Revoked login sessions (logout, refresh reuse, in any process): their sockets close with 4401. */
  onSessionRevoked(listener: (sessionId: string) => void): () => void;
  trustedOrigins: readonly string[];
  /** User views by id (presence frames, the `ready` frame). */
  users(ids: readonly string[]): Promise<Map<string, UserView>>;
  heartbeatMs: number;
  presenceTtlMs: number;
  maxBufferedBytes: number;
  /** Default 3 s (docs/chat.md). */
  typingThrottleMs?: number;
  /** Default 50 ms. */
  gapWaitMs?: number;
}

/** The socket side of the chat, once the service exists. */
export interface ChatRealtime {
  /** `GET /api/v1/chat/socket`. */
  readonly routes: FastifyPluginAsync;
  /** Sockets this process holds now. */
  connections(): number;
  /** Subscribes to this node's channel and starts the heartbeat; call before serving. */
  start(): Promise<void>;
  /** Closes every socket (1001), leaves the registry, unsubscribes. */
  close(): Promise<void>;
}

/**
 * The chat's real-time layer in two steps, because the service and the sockets need each other:
 * `sink` goes to the service as it is built (events after each commit), then `attach(service)`
 * gives the sockets their service. One node per process start (a random id): the same code
 * embedded (in-process registry and bus) and scaled (Redis).
 */
export function createChatRealtime(options: ChatRealtimeOptions): { sink: ChatEventSink; attach(service: HubService): ChatRealtime } {
  const nodeId = randomBytes(8).toString('hex');
  const delivery = new ChatDelivery({ nodeId, presence: options.presence, pubsub: options.pubsub, logger: options.logger });
  return {
    sink: delivery,
    attach(service) {
      const hub = new ChatHub({
        nodeId,
        service,
        presence: options.presence,
        deliver: (recipients, event) => delivery.deliver(recipients, event),
        users: options.users,
        clock: options.clock,
        logger: options.logger,
        heartbeatMs: options.heartbeatMs,
        presenceTtlMs: options.presenceTtlMs,
        maxBufferedBytes: options.maxBufferedBytes,
        typingThrottleMs: options.typingThrottleMs ?? 3_000,
        gapWaitMs: options.gapWaitMs ?? 50,
      });
      let stopWatching: (() => void) | undefined;
      let closed: Promise<void> | undefined;
      return {
        routes: chatSocketRoutes({
          hub,
          authenticate: options.authenticate,
          trustedOrigins: options.trustedOrigins,
          userView: async (principal) => (await options.users([principal.userId])).get(principal.userId) ?? { id: principal.userId, username: principal.username, displayName: principal.username },
        }),
        connections: () => hub.size,
        async start() {
          await delivery.start((recipients, event) => hub.deliverLocal(recipients, event));
          stopWatching = options.onSessionRevoked((sessionId) => hub.revokeSession(sessionId));
          hub.start();
        },
        close() {
          closed ??= (async () => {
            stopWatching?.();
            await hub.close();
            delivery.close();
          })();
          return closed;
        },
      };
    },
  };
}
