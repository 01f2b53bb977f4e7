/** The feed API's shapes, as its route schemas give them (src/modules/{feed,search,notifications}). */

/** A tweet (`TweetView`); search results add `highlights`, and may lack the counters when not hydrated. */
export interface Tweet {
  id: string;
  authorId: string;
  /** Null in a search result whose author's account is gone. */
  author: string | null;
  text: string;
  createdAt: string;
  likeCount?: number;
  replyCount?: number;
  replyTo?: string | null;
  /** Present when the request was signed in. */
  likedByMe?: boolean;
  /** Matched spans of `text` in UTF-16 code units (search results only). */
  highlights?: Highlight[];
}

export interface Highlight {
  start: number;
  end: number;
}

/** A page of a list, newest first; `nextCursor` null at the end. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Profile {
  id: string;
  username: string;
  displayName: string;
  followers: number;
  following: number;
  tweets: number;
  createdAt: string;
}

export interface UserSummary {
  id: string;
  username: string;
}

/** A user found by `GET /api/v1/search?type=users`. */
export interface UserHit {
  id: string;
  username: string;
  createdAt: string;
}

export type NotificationKind = 'mention' | 'reply' | 'like' | 'follow' | 'chat_message';

/** A notification (list items and live `notification` events have the same shape). */
export interface Notification {
  id: string;
  kind: NotificationKind;
  actor: { id: string; username: string | null };
  tweetId?: string;
  /** chat_message: the conversation with unread messages. */
  conversationId?: string;
  createdAt: string;
  read: boolean;
}

export interface NotificationPage extends Page<Notification> {
  /** Unread notifications, counted up to 1000. */
  unread: number;
}
