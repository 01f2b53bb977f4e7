/*
 * The chat's shapes as the API and the socket layer see them (docs/chat.md). Ids are snowflakes as
 * decimal strings; times are ISO 8601 strings in views and epoch ms in records.
 */

export type ConversationKind = 'direct' | 'group';
export type MemberRole = 'owner' | 'admin' | 'member';

/** Most members a conversation may have (the cap). */
export const MAX_MEMBERS = 500;
/** Longest message, in Unicode code points after NFC normalisation and trimming. */
export const MAX_MESSAGE_LENGTH = 4_000;
/** Longest group title, in code points. */
export const MAX_TITLE_LENGTH = 100;

/** A user as chat answers carry them (names never change; `displayName` is the name for now). */
export interface UserView {
  id: string;
  username: string;
  displayName: string;
}

export interface MessageView {
  id: string;
  conversationId: string;
  /** Its creation position: every member sees the same order. */
  seq: number;
  /** The seq of its last change (edit, delete); = seq when never changed. */
  versionSeq: number;
  author: UserView;
  /** '' once deleted. */
  text: string;
  replyTo: number | null;
  /** Usernames of the members it mentions. */
  mentions: string[];
  clientId: string;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
}

export interface MemberView {
  user: UserView;
  role: MemberRole;
  joinedAt: string;
  readSeq: number;
  deliveredSeq: number;
}

export interface ConversationView {
  id: string;
  kind: ConversationKind;
  title: string | null;
  createdAt: string;
  lastSeq: number;
  members: MemberView[];
}

/** One row of a user's conversation list: personal (unread, readSeq). */
export interface ConversationSummaryView {
  id: string;
  kind: ConversationKind;
  title: string | null;
  /** Direct conversations: the other member. */
  peer?: UserView;
  /** How many members it has. */
  members: number;
  lastSeq: number;
  lastMessage: MessageView | null;
  /** Messages after the reader's read mark, not theirs, not deleted. */
  unread: number;
  readSeq: number;
  lastActivityAt: string;
}

/** What the service hands the socket layer after a commit (docs/chat.md "Events"). */
export type ChatEvent =
  | { type: 'message.created' | 'message.edited' | 'message.deleted'; conversationId: string; seq: number; message: MessageView }
  | { type: 'receipt'; conversationId: string; user: UserView; deliveredSeq: number; readSeq: number }
  /** Published per recipient: the summary is theirs (unread, readSeq). */
  | { type: 'conversation.updated'; conversation: ConversationSummaryView }
  | { type: 'conversation.removed'; conversationId: string };

/** A message's event: created, edited or deleted (`seq` = the message's versionSeq). */
export type ChatMessageEvent = Extract<ChatEvent, { message: MessageView }>;

/** Where the service hands events after the transaction commits (the socket layer implements it). */
export interface ChatEventSink {
  /** Delivers `event` to every socket of `recipients` (user ids), on whichever process holds them. */
  publish(recipients: readonly string[], event: ChatEvent): void;
  /**
   * Those of `userIds` with no socket anywhere (they get a notification for a new message). Absent:
   * nobody is connected (no socket layer), so every recipient counts as offline.
   */
  offlineAmong?(userIds: readonly string[]): Promise<readonly string[]>;
}

/** A sink that drops every event (no socket layer). */
export const NO_EVENTS: ChatEventSink = { publish: () => {} };

/** How offline members hear of new messages (the notifications module, wired in chat.module.ts). */
export interface ChatNotifier {
  /** One `chat_message` notification per recipient and conversation until they read it. */
  messageSent(recipientIds: readonly string[], conversationId: string, authorId: string, at: number): Promise<void>;
  /** The reader caught up: the next message may notify them again. */
  conversationRead(userId: string, conversationId: string): Promise<void>;
}
