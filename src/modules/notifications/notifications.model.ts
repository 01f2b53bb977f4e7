/** `chat_message`: unread chat messages in a conversation (one per conversation until read; the chat module). */
export type NotificationKind = 'mention' | 'reply' | 'like' | 'follow' | 'chat_message';

/** A notification. Times are epoch ms; ids are snowflakes as decimal strings. */
export interface Notification {
  id: string;
  recipientId: string;
  kind: NotificationKind;
  actorId: string;
  /** The tweet that mentions or replies, or the tweet liked; null for follows and chat messages. */
  tweetId: string | null;
  /** Chat messages: the conversation they are in (else absent). */
  conversationId?: string | undefined;
  createdAt: number;
}

/** A notification to create, before it has an id. */
export type PlannedNotification = Omit<Notification, 'id'>;

/** The JSON shape of a notification (list items and live `notification` events). */
export interface NotificationView {
  id: string;
  kind: NotificationKind;
  actor: { id: string; username: string | null };
  tweetId?: string;
  conversationId?: string;
  createdAt: string;
  read: boolean;
}

/** The JSON shape of a notification; `username` is null for an account that no longer exists. */
export function notificationView(n: Notification, username: string | null, read: boolean): NotificationView {
  return {
    id: n.id,
    kind: n.kind,
    actor: { id: n.actorId, username },
    ...(n.tweetId === null ? {} : { tweetId: n.tweetId }),
    ...(n.conversationId === undefined ? {} : { conversationId: n.conversationId }),
    createdAt: new Date(n.createdAt).toISOString(),
    read,
  };
}

/** The stored form of an id: zero-padded, so that text order is numeric order on every engine. */
export function idKey(id: string): string {
  return id.padStart(20, '0');
}

/** The public form of a stored id. */
export function idOf(key: string): string {
  return key.replace(/^0+(?=\d)/, '');
}
