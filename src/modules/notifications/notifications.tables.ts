/** One notification. Ids are snowflakes stored zero-padded to 20 digits, so text order is numeric order. */
export interface NotificationsTable {
  id: string;
  recipient_id: string;
  /** mention | reply | like | follow */
  kind: string;
  actor_id: string;
  tweet_id: string | null;
  /** chat_message: the conversation (notifications/0002_chat); null otherwise. */
  conversation_id: string | null;
  /** `kind:actor:tweet`: unique per recipient, so a redelivered event adds nothing. */
  dedupe_key: string;
  /** When the action happened (the event's time), epoch ms. */
  created_at: number;
}

/** Per user: every notification with an id up to this one (padded) is read. */
export interface NotificationReadsTable {
  user_id: string;
  read_up_to: string;
}

/** Deleted tweets: their notifications are gone, and late events about them must not bring any back. */
export interface NotificationDeletedTweetsTable {
  tweet_id: string;
  deleted_at: number;
}

export interface NotificationsTables {
  notifications: NotificationsTable;
  notification_reads: NotificationReadsTable;
  notification_deleted_tweets: NotificationDeletedTweetsTable;
}
