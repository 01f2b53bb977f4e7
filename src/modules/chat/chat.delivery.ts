import type { Logger } from 'pino';
import type { PresenceRegistry } from '../../platform/presence/index.js';
import type { PubSubPort } from '../../platform/pubsub/index.js';
import type { ChatEvent, ChatEventSink, UserView } from './chat.model.js';

/** A typing indicator (ephemeral: never stored, never replayed). */
export interface TypingEvent {
  type: 'typing';
  conversationId: string;
  user: UserView;
}

/** A user's presence, as their contacts see it. */
export interface PresenceEvent {
  type: 'presence';
  user: UserView;
  status: 'online' | 'away' | 'offline';
  /** ISO time the user was last connected; null while connected. */
  lastSeen: string | null;
}

/** Everything the socket layer routes to users: the service's events and the hub's own. */
export type SocketEvent = ChatEvent | TypingEvent | PresenceEvent;

/** What goes over `chat:node:<nodeId>`: one event for some of the users that node holds. */
interface NodeMessage {
  recipients: string[];
  event: SocketEvent;
}

/** The channel of one node (process holding sockets). */
export const nodeChannel = (nodeId: string) => `chat:node:${nodeId}`;

export interface ChatDeliveryOptions {
  /** This process's node id (random per start). */
  nodeId: string;
  presence: PresenceRegistry;
  pubsub: PubSubPort;
  logger: Logger;
}

/**
 * The chat's router between processes, and the service's event sink. After the service commits,
 * `publish` asks the presence registry which nodes hold the recipients (one round trip) and
 * publishes ONE message per node on that node's channel, naming the recipients it holds there; each
 * node hands what arrives on its own channel to its hub. Embedded, the registry and the bus are the
 * in-process ones and the node is the only one: the same path, no branch.
 *
 * Best effort by design: pub/sub may lose a message (a node restarting, Redis failing over). The
 * store is the truth; the hub fills a sequence gap from it and a reconnecting client resumes.
 * Order: publishes leave in call order (the registry answers in request order on one connection, and
 * the bus keeps one publisher's order per channel); the hub still reorders by seq, since two
 * processes publishing into one conversation race.
 */
export class ChatDelivery implements ChatEventSink {
  readonly #options: ChatDeliveryOptions;
  #local: ((recipients: readonly string[], event: SocketEvent) => void) | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(options: ChatDeliveryOptions) {
    this.#options = options;
  }

  /** The service's sink: delivers `event` to every socket of `recipients`, on whichever process holds them. */
  publish(recipients: readonly string[], event: ChatEvent): void {
    this.deliver(recipients, event);
  }

  /** Those of `userIds` connected on no node (the service notifies them of new messages instead). */
  async offlineAmong(userIds: readonly string[]): Promise<readonly string[]> {
    const where = await this.#options.presence.nodesOf(userIds);
    return userIds.filter((id) => !where.has(id));
  }

  /** Same as `publish`, for the hub's own events too (typing, presence). Never throws; failures are logged. */
  deliver(recipients: readonly string[], event: SocketEvent): void {
    if (recipients.length === 0) return;
    this.#route(recipients, event).catch((err: unknown) => this.#options.logger.warn({ err, type: event.type }, 'chat event not routed'));
  }

  /**
   * Starts taking this node's messages and handing them to `local` (the hub). Resolves once the
   * subscription is live (or the bus is found unreachable: the subscription is then made when it
   * comes back), so that nothing published after a socket registers is missed.
   */
  async start(local: (recipients: readonly string[], event: SocketEvent) => void): Promise<void> {
    this.#local = local;
    const { pubsub, nodeId, logger } = this.#options;
    this.#unsubscribe = pubsub.subscribe(nodeChannel(nodeId), (message) => {
      if (!isNodeMessage(message)) {
        logger.warn({ channel: nodeChannel(nodeId) }, 'chat: a malformed node message was dropped');
        return;
      }
      this.#local?.(message.recipients, message.event);
    });
    // The bus unreachable (Redis down) must not keep the API from starting: the adapter subscribes
    // again once it is back, and meanwhile sockets catch up through resume and gap fills.
    await pubsub.ready().catch((err: unknown) => logger.warn({ err, channel: nodeChannel(nodeId) }, 'chat: node channel not subscribed yet; retried when the bus is back'));
  }

  /** Stops taking messages. */
  close(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#local = undefined;
  }

  async #route(recipients: readonly string[], event: SocketEvent): Promise<void> {
    const { presence, pubsub } = this.#options;
    const where = await presence.nodesOf([...new Set(recipients)]);
    const byNode = new Map<string, string[]>();
    for (const [userId, nodes] of where) {
      for (const node of nodes) {
        const users = byNode.get(node);
        if (users === undefined) byNode.set(node, [userId]);
        else users.push(userId);
      }
    }
    await Promise.all([...byNode].map(([node, users]) => pubsub.publish(nodeChannel(node), { recipients: users, event } satisfies NodeMessage)));
  }
}

function isNodeMessage(value: unknown): value is NodeMessage {
  if (typeof value !== 'object' || value === null) return false;
  const { recipients, event } = value as Partial<NodeMessage>;
  return Array.isArray(recipients) && recipients.every((r) => typeof r === 'string') && typeof event === 'object' && event !== null && typeof event.type === 'string';
}
