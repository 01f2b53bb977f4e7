/*
 * The chat module's tables (docs/chat.md "Data model"). Ids (conversations, messages, users) are
 * snowflakes kept as decimal text, as the notifications module does: exact on both engines, and
 * only ever compared for equality (ordering is by `seq`, or by time then id for the list).
 * Times are epoch ms.
 */

/** One conversation: a pair (direct) or a group, with its event counter. */
export interface ChatConversationsTable {
  id: string;
  /** `direct` | `group` */
  kind: string;
  /** Groups only (1..100 code points). */
  title: string | null;
  /** Direct ones: `"<smaller id>:<larger id>"`, unique, so that a pair has one conversation. */
  direct_key: string | null;
  created_by: string;
  created_at: number;
  /**
   * The conversation's event counter: every send, edit and delete takes the next value in the
   * transaction that changes the message row, so every member sees one total order.
   */
  last_seq: number;
  /** When the last message arrived (or the conversation was created): the list's order. */
  last_activity_at: number;
  /** Current members (left_at null), kept in the transactions that add and remove: the 500 cap. */
  member_count: number;
}

/** A member, past or present (left_at set: gone; joining again starts afresh). */
export interface ChatMembersTable {
  conversation_id: string;
  user_id: string;
  /** `owner` | `admin` | `member` */
  role: string;
  joined_at: number;
  /** Everything up to this seq is read by this member (only ever moves up). */
  read_seq: number;
  /** Everything up to this seq reached one of this member's devices (only ever moves up). */
  delivered_seq: number;
  /** The conversation's last_seq when this member joined: their history starts after it. */
  joined_seq: number;
  left_at: number | null;
}

/** A message, in the state of its last change (`version_seq`). */
export interface ChatMessagesTable {
  conversation_id: string;
  /** Its creation position in the conversation (never changes). */
  seq: number;
  id: string;
  author_id: string;
  /** NFC, trimmed, 1..4000 code points; '' once deleted. */
  text: string;
  reply_to_seq: number | null;
  /** JSON array of the mentioned members' user ids. */
  mentions: string;
  /** The sender's idempotency id: unique per (conversation, author). */
  client_id: string;
  created_at: number;
  edited_at: number | null;
  deleted_at: number | null;
  /** The seq of the last event that changed it (= seq until edited or deleted): resume reads by it. */
  version_seq: number;
}

/** `blocker_id` blocked `blocked_id`. */
export interface ChatBlocksTable {
  blocker_id: string;
  blocked_id: string;
  created_at: number;
}

export interface ChatTables {
  chat_conversations: ChatConversationsTable;
  chat_members: ChatMembersTable;
  chat_messages: ChatMessagesTable;
  chat_blocks: ChatBlocksTable;
}
