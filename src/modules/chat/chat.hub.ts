import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Clock } from '../../platform/clock/index.js';
import type { PresenceRegistry } from '../../platform/presence/index.js';
import type { PresenceEvent, SocketEvent } from './chat.delivery.js';
import type { UserView } from './chat.model.js';
import type { ChatService } from './chat.service.js';
import { ChatConnection, CLOSE, type ConnectionHost, type SocketService } from './chat.socket.connection.js';
import { ConversationNotFoundError } from './chat.errors.js';

/** What the hub asks of the service, beyond the sockets' own calls. */
export type HubService = SocketService & Pick<ChatService, 'contactsOf' | 'isMember' | 'membersOf' | 'invalidate'>;

export interface ChatHubOptions {
  /** This process's node id in the presence registry. */
  nodeId: string;
  service: HubService;
  presence: PresenceRegistry;
  /** Routes an event to users wherever they are connected (ChatDelivery). */
  deliver(recipients: readonly string[], event: SocketEvent): void;
  /** User views of ids (for presence frames). */
  users(ids: readonly string[]): Promise<Map<string, UserView>>;
  clock: Clock;
  logger: Logger;
  /** Ping every this often; a socket that did not answer the previous ping is destroyed. */
  heartbeatMs: number;
  /** A node's registry entries expire this long after its last refresh (refreshed every third of it). */
  presenceTtlMs: number;
  maxBufferedBytes: number;
  /** At most one typing indicator relayed per user and conversation this often. */
  typingThrottleMs: number;
  /** How long a sequence gap waits for its events before they are read from the store. */
  gapWaitMs: number;
}

/** Presence frames a new socket gets about its contacts, at most (the rest come as they change). */
const MAX_PRESENCE_SNAPSHOT = 1_000;

/**
 * The sockets this process holds, by user and by login session; the presence this node announces
 * (online when a user's first socket here opens, offline with last seen when the last one anywhere
 * goes, away when every socket here says so), only to the user's contacts (people sharing a
 * conversation, minus blocks either way); typing indicators, throttled; heartbeats. What other
 * processes route here arrives through `deliverLocal`.
 */
export class ChatHub implements ConnectionHost {
  readonly #options: ChatHubOptions;
  readonly #byUser = new Map<string, Set<ChatConnection>>();
  readonly #bySession = new Map<string, Set<ChatConnection>>();
  /** When a user last had a typing indicator relayed, by `${userId}:${conversationId}`. */
  readonly #typing = new Map<string, number>();
  /** The last status announced for each user held here. */
  readonly #announced = new Map<string, 'online' | 'away'>();
  /** Each user's presence work in order (connect before disconnect, whatever the registry's latency). */
  readonly #presenceWork = new Map<string, Promise<void>>();
  #heartbeat: NodeJS.Timeout | undefined;
  #refresh: NodeJS.Timeout | undefined;

  constructor(options: ChatHubOptions) {
    this.#options = options;
  }

  get service(): HubService {
    return this.#options.service;
  }
  get logger(): Logger {
    return this.#options.logger;
  }
  get maxBufferedBytes(): number {
    return this.#options.maxBufferedBytes;
  }
  get gapWaitMs(): number {
    return this.#options.gapWaitMs;
  }
  /** Sockets held now. */
  get size(): number {
    let n = 0;
    for (const set of this.#byUser.values()) n += set.size;
    return n;
  }

  /** Starts the heartbeat and the registry refresh. */
  start(): void {
    const { heartbeatMs, presenceTtlMs, presence, nodeId, clock } = this.#options;
    this.#heartbeat = setInterval(() => {
      const now = clock.now();
      for (const set of this.#byUser.values()) for (const connection of set) connection.heartbeat(now);
      for (const [key, at] of this.#typing) if (at <= now - this.#options.typingThrottleMs) this.#typing.delete(key);
    }, heartbeatMs).unref();
    this.#refresh = setInterval(() => {
      if (this.#byUser.size === 0) return;
      presence.refresh(nodeId, [...this.#byUser.keys()], presenceTtlMs).catch((err: unknown) => this.logger.warn({ err }, 'chat presence refresh failed'));
    }, Math.max(1, Math.floor(presenceTtlMs / 3))).unref();
  }

  /** Takes an authenticated socket: registers it, says `ready`, announces the user, sends the contacts' presence. */
  open(socket: WebSocket, who: { userId: string; user: UserView; sessionId?: string | undefined; expiresAt?: number | undefined }): ChatConnection {
    const connection = new ChatConnection(this, socket, who.userId, who.user, who.sessionId, who.expiresAt);
    const first = !this.#byUser.has(who.userId);
    add(this.#byUser, who.userId, connection);
    if (who.sessionId !== undefined) add(this.#bySession, who.sessionId, connection);
    connection.write({ type: 'ready', user: who.user, sessionId: connection.id, heartbeatMs: this.#options.heartbeatMs });
    this.#inOrder(who.userId, async () => {
      const { presence, nodeId, presenceTtlMs } = this.#options;
      await presence.connect(who.userId, nodeId, presenceTtlMs);
      if (first) await this.#announce(who.userId, who.user, 'online', null);
      // Another socket of an away user: the user is online again.
      else if (this.#announced.get(who.userId) === 'away') await this.#announce(who.userId, who.user, 'online', null);
      await this.#snapshot(connection);
    });
    return connection;
  }

  /** Writes an event routed to this node to the local sockets of its recipients. */
  deliverLocal(recipients: readonly string[], event: SocketEvent): void {
    // Membership changed (perhaps in another process): the service's member cache re-reads it.
    if (event.type === 'conversation.updated') this.#options.service.invalidate(event.conversation.id);
    else if (event.type === 'conversation.removed') this.#options.service.invalidate(event.conversationId);
    for (const userId of recipients) {
      const set = this.#byUser.get(userId);
      if (set !== undefined) for (const connection of set) connection.deliver(event);
    }
  }

  /** Relays `typing` to the conversation's other members who may see it; at most once per throttle period. */
  async typing(connection: ChatConnection, conversationId: string): Promise<void> {
    const { service, clock, typingThrottleMs } = this.#options;
    const key = `${connection.userId}:${conversationId}`;
    const now = clock.now();
    const last = this.#typing.get(key);
    if (last !== undefined && now - last < typingThrottleMs) return;
    // Taken before the first await: indicators arriving meanwhile are throttled too.
    this.#typing.set(key, now);
    if (!(await service.isMember(connection.userId, conversationId))) {
      this.#typing.delete(key);
      throw new ConversationNotFoundError(conversationId);
    }
    const [members, contacts] = await Promise.all([service.membersOf(conversationId), service.contactsOf(connection.userId)]);
    // Contacts exclude blocks either way: a blocked member never sees the indicator.
    const audience = new Set(contacts);
    const recipients = members.filter((m) => m !== connection.userId && audience.has(m));
    this.#options.deliver(recipients, { type: 'typing', conversationId, user: connection.user });
  }

  /** A socket's status changed: announces the user's (away only when every socket here is away). */
  setStatus(connection: ChatConnection, status: 'online' | 'away'): void {
    connection.status = status;
    this.#reannounce(connection.userId, connection.user);
  }

  /** Forgets a closed socket; the user's last socket here going disconnects them from this node. */
  detach(connection: ChatConnection): void {
    const { userId, user, sessionId } = connection;
    const last = remove(this.#byUser, userId, connection);
    if (sessionId !== undefined) remove(this.#bySession, sessionId, connection);
    if (!last) return this.#reannounce(userId, user);
    this.#announced.delete(userId);
    this.#inOrder(userId, async () => {
      const { presence, nodeId } = this.#options;
      // Reconnected here meanwhile: the new socket's connect comes after this in the same queue.
      if (this.#byUser.has(userId)) return;
      await presence.disconnect(userId, nodeId);
      const still = await presence.nodesOf([userId]);
      if (still.has(userId) || this.#byUser.has(userId)) return;
      const seen = (await presence.lastSeen([userId])).get(userId) ?? new Date(this.#options.clock.now());
      await this.#announce(userId, user, 'offline', seen.toISOString());
    });
  }

  /** Closes the sockets of a revoked login session with 4401. */
  revokeSession(sessionId: string): void {
    for (const connection of [...(this.#bySession.get(sessionId) ?? [])]) connection.close(CLOSE.unauthorized, 'session revoked');
  }

  /** Stops the timers, closes every socket (1001) and leaves the registry. */
  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    clearInterval(this.#refresh);
    const users = [...this.#byUser.keys()];
    for (const set of this.#byUser.values()) for (const connection of set) connection.close(CLOSE.goingAway, 'going away');
    await Promise.allSettled([...this.#presenceWork.values()]);
    const { presence, nodeId } = this.#options;
    await Promise.allSettled(users.map((u) => presence.disconnect(u, nodeId)));
  }

  #reannounce(userId: string, user: UserView): void {
    const set = this.#byUser.get(userId);
    if (set === undefined) return;
    const status = [...set].some((c) => c.status === 'online') ? 'online' : 'away';
    if (this.#announced.get(userId) === status) return;
    this.#inOrder(userId, () => this.#announce(userId, user, status, null));
  }

  async #announce(userId: string, user: UserView, status: PresenceEvent['status'], lastSeen: string | null): Promise<void> {
    if (status === 'offline') this.#announced.delete(userId);
    else this.#announced.set(userId, status);
    const contacts = await this.#options.service.contactsOf(userId);
    this.#options.deliver(contacts, { type: 'presence', user, status, lastSeen });
  }

  /** Tells a new socket where its contacts are: online (or away, when held here) or last seen. */
  async #snapshot(connection: ChatConnection): Promise<void> {
    const { service, presence, users } = this.#options;
    const contacts = (await service.contactsOf(connection.userId)).slice(0, MAX_PRESENCE_SNAPSHOT);
    if (contacts.length === 0 || connection.closing) return;
    const [where, seen, views] = await Promise.all([presence.nodesOf(contacts), presence.lastSeen(contacts), users(contacts)]);
    for (const id of contacts) {
      const user = views.get(id);
      if (user === undefined) continue;
      if (where.has(id)) connection.write({ type: 'presence', user, status: this.#announced.get(id) ?? 'online', lastSeen: null });
      else if (seen.has(id)) connection.write({ type: 'presence', user, status: 'offline', lastSeen: seen.get(id)!.toISOString() });
    }
  }

  #inOrder(userId: string, work: () => Promise<void>): void {
    const previous = this.#presenceWork.get(userId) ?? Promise.resolve();
    const next = previous
      .then(work)
      .catch((err: unknown) => this.logger.warn({ err, userId }, 'chat presence update failed'))
      .finally(() => {
        if (this.#presenceWork.get(userId) === next) this.#presenceWork.delete(userId);
      });
    this.#presenceWork.set(userId, next);
  }
}

function add<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set === undefined) map.set(key, new Set([value]));
  else set.add(value);
}

/** Removes a value; true when that emptied (and dropped) the key's set. */
function remove<K, V>(map: Map<K, Set<V>>, key: K, value: V): boolean {
  const set = map.get(key);
  if (set === undefined || !set.delete(value)) return false;
  if (set.size > 0) return false;
  map.delete(key);
  return true;
}
