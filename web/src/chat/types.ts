/**
 * The chat API's shapes, as docs/chat.md and the chat module's route schemas give them
 * (src/modules/chat): REST answers and the WebSocket frames of protocol `blueprint.chat.v1`.
 * Declared here as the feed declares its own (web/src/feed/types.ts): the web app imports nothing
 * of the server but src/contracts/.
 */

/** A person as the chat names them: requests take usernames, answers carry these. */
export interface ChatUser {
  id: string;
  username: string;
  displayName: string;
}

export interface Message {
  /** A snowflake, as a decimal string. */
  id: string;
  conversationId: string;
  /** The message's position in its conversation: the same total order for every member. */
  seq: number;
  /** The seq of the last event that changed it (its creation, edit or deletion). */
  versionSeq: number;
  author: ChatUser;
  /** Empty once deleted. */
  text: string;
  replyTo: number | null;
  mentions: string[];
  /** The sender's idempotency id: a resend with it answers the stored message. */
  clientId: string;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
}

export type ConversationKind = 'direct' | 'group';

export interface ConversationSummary {
  id: string;
  kind: ConversationKind;
  /** Null for a direct conversation: its name is the peer's. */
  title: string | null;
  /** How many members. */
  members: number;
  lastSeq: number;
  lastMessage: Message | null;
  unread: number;
  readSeq: number;
  lastActivityAt: string;
  /** The other person of a direct conversation. */
  peer?: ChatUser;
}

export type Role = 'owner' | 'admin' | 'member';

export interface Member {
  user: ChatUser;
  role: Role;
  joinedAt: string;
  readSeq: number;
  deliveredSeq: number;
}

export interface Conversation {
  id: string;
  kind: ConversationKind;
  title: string | null;
  createdAt: string;
  lastSeq: number;
  members: Member[];
}

export interface ConversationPage {
  items: ConversationSummary[];
  nextCursor: string | null;
}

export interface MessagePage {
  /** Ascending by seq. */
  items: Message[];
  hasMore: boolean;
}

export type PresenceStatus = 'online' | 'away' | 'offline';

export interface Presence {
  status: PresenceStatus;
  /** When they were last connected (null: unknown, or never). */
  lastSeen: string | null;
}

/** `connecting` before the first `ready`; `reconnecting` from a drop until the next `ready`. */
export type SocketStatus = 'connecting' | 'open' | 'reconnecting';

/** What the server sends over the socket. */
export type ServerFrame =
  | { type: 'ready'; user: ChatUser; sessionId: string; heartbeatMs: number }
  | { type: 'resumed'; conversations: Record<string, number> }
  | { type: 'message.created' | 'message.edited' | 'message.deleted'; conversationId: string; seq: number; message: Message }
  | { type: 'typing'; conversationId: string; user: ChatUser }
  | ({ type: 'presence'; user: ChatUser } & Presence)
  | { type: 'receipt'; conversationId: string; user: ChatUser; deliveredSeq: number; readSeq: number }
  | { type: 'conversation.updated'; conversation: ConversationSummary }
  | { type: 'conversation.removed'; conversationId: string }
  | { type: 'ack'; ref: string; message?: Message; readSeq?: number }
  /** `conversationId`: a conversation a `resume` could not replay (left out of `resumed`). */
  | { type: 'error'; ref?: string; conversationId?: string; code: string; detail: string; retryAfter?: number }
  | { type: 'pong' };

/** What the client sends (`ref` asks for an `ack`, or an `error` naming it). */
export type ClientFrame =
  | { type: 'resume'; conversations: Record<string, number> }
  | { type: 'send'; ref: string; conversationId: string; clientId: string; text: string; replyTo?: number }
  | { type: 'typing'; conversationId: string }
  | { type: 'delivered' | 'read'; conversationId: string; seq: number }
  | { type: 'presence'; status: 'online' | 'away' }
  | { type: 'ping' };

/** The server's limit on a message: 4,000 code points. */
export const MAX_TEXT = 4_000;
