import type { Kysely, Migration } from 'kysely';

/** Schema of the notifications module, in name order. */
export const notificationsMigrations: Record<string, Migration> = {
  'notifications/0001_notifications': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('notifications')
        .addColumn('id', 'varchar(20)', (c) => c.primaryKey())
        .addColumn('recipient_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('actor_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('tweet_id', 'varchar(32)')
        .addColumn('dedupe_key', 'varchar(120)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      // Idempotence: one notification per (recipient, kind, source ids), however often the event comes.
      await db.schema.createIndex('notifications_dedupe_idx').on('notifications').columns(['recipient_id', 'dedupe_key']).unique().execute();
      // A user's list, newest first, and the unread count above the read mark.
      await db.schema.createIndex('notifications_recipient_idx').on('notifications').columns(['recipient_id', 'id desc']).execute();
      // Removing the notifications of a deleted tweet.
      await db.schema.createIndex('notifications_tweet_idx').on('notifications').column('tweet_id').execute();
      await db.schema
        .createTable('notification_reads')
        .addColumn('user_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('read_up_to', 'varchar(20)', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('notification_deleted_tweets')
        .addColumn('tweet_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('deleted_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  'notifications/0002_chat': {
    async up(db: Kysely<unknown>) {
      // Chat messages name their conversation; their dedupe key is `chat_message:<conversation>`, so
      // that a recipient has at most one per conversation until they read it (the chat removes it).
      await db.schema.alterTable('notifications').addColumn('conversation_id', 'varchar(20)').execute();
    },
  },
};
