import type { Kysely, Migration } from 'kysely';

/** Schema of the Mastodon API module. Portable DDL only (SQLite and PostgreSQL). */
export const mastodonMigrations: Record<string, Migration> = {
  'mastodon/0001_idempotency': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('mastodon_idempotency')
        .addColumn('user_id', 'varchar(20)', (c) => c.notNull())
        .addColumn('idempotency_key', 'varchar(128)', (c) => c.notNull())
        .addColumn('status_id', 'varchar(20)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('mastodon_idempotency_pk', ['user_id', 'idempotency_key'])
        .execute();
      // Serves the sweep of expired keys.
      await db.schema.createIndex('mastodon_idempotency_created_idx').on('mastodon_idempotency').column('created_at').execute();
    },
  },
};
