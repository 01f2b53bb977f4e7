import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../../platform/sql/index.js';

/** Hash partitions of `chat_messages` on PostgreSQL (by conversation id). */
export const CHAT_MESSAGE_PARTITIONS = 8;

/**
 * Schema of the chat module for a dialect, in name order (docs/chat.md "Data model").
 * SQLite: the link-like tables are `without rowid`, clustered on their primary key, so a page of
 * history is one range scan of the table itself. PostgreSQL: `chat_messages` is partitioned by hash
 * of the conversation id (every query names one conversation, so it touches one partition; the
 * primary key and the idempotency key both lead with the partition key, as PostgreSQL requires).
 */
export function chatMigrations(dialect: SqlDialectName): Record<string, Migration> {
  const sqlite = dialect === 'sqlite';
  const clustered = sqlite ? sql`without rowid` : sql``;
  return {
    'chat/0001_tables': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('chat_conversations')
          .addColumn('id', 'varchar(20)', (c) => c.primaryKey())
          .addColumn('kind', 'varchar(8)', (c) => c.notNull())
          .addColumn('title', 'varchar(400)')
          .addColumn('direct_key', 'varchar(65)', (c) => c.unique())
          .addColumn('created_by', 'varchar(32)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('last_activity_at', 'bigint', (c) => c.notNull())
          .addColumn('member_count', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();

        await db.schema
          .createTable('chat_members')
          .addColumn('conversation_id', 'varchar(20)', (c) => c.notNull())
          .addColumn('user_id', 'varchar(32)', (c) => c.notNull())
          .addColumn('role', 'varchar(8)', (c) => c.notNull())
          .addColumn('joined_at', 'bigint', (c) => c.notNull())
          .addColumn('read_seq', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('delivered_seq', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('joined_seq', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('left_at', 'bigint')
          .addPrimaryKeyConstraint('chat_members_pk', ['conversation_id', 'user_id'])
          .modifyEnd(clustered)
          .execute();
        // A user's conversations (the list, contactsOf).
        await db.schema.createIndex('chat_members_user_idx').on('chat_members').columns(['user_id', 'conversation_id']).execute();

        await db.schema
          .createTable('chat_messages')
          .addColumn('conversation_id', 'varchar(20)', (c) => c.notNull())
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('id', 'varchar(20)', (c) => c.notNull())
          .addColumn('author_id', 'varchar(32)', (c) => c.notNull())
          .addColumn('text', 'text', (c) => c.notNull())
          .addColumn('reply_to_seq', 'integer')
          .addColumn('mentions', 'text', (c) => c.notNull())
          .addColumn('client_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('edited_at', 'bigint')
          .addColumn('deleted_at', 'bigint')
          .addColumn('version_seq', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('chat_messages_pk', ['conversation_id', 'seq'])
          .modifyEnd(sqlite ? clustered : sql`partition by hash (conversation_id)`)
          .execute();
        if (!sqlite) {
          for (let i = 0; i < CHAT_MESSAGE_PARTITIONS; i++) {
            await sql`create table ${sql.id(`chat_messages_p${i}`)} partition of chat_messages for values with (modulus ${sql.lit(CHAT_MESSAGE_PARTITIONS)}, remainder ${sql.lit(i)})`.execute(db);
          }
        }
        // Idempotent sends: a resend of a client id finds the stored message.
        await db.schema.createIndex('chat_messages_client_idx').on('chat_messages').columns(['conversation_id', 'author_id', 'client_id']).unique().execute();
        // Resume: everything that changed after a seq, in change order.
        await db.schema.createIndex('chat_messages_version_idx').on('chat_messages').columns(['conversation_id', 'version_seq']).execute();

        await db.schema
          .createTable('chat_blocks')
          .addColumn('blocker_id', 'varchar(32)', (c) => c.notNull())
          .addColumn('blocked_id', 'varchar(32)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('chat_blocks_pk', ['blocker_id', 'blocked_id'])
          .modifyEnd(clustered)
          .execute();
        // "Who blocked me" (blocks work both ways).
        await db.schema.createIndex('chat_blocks_blocked_idx').on('chat_blocks').columns(['blocked_id', 'blocker_id']).execute();
      },
    },
  };
}
