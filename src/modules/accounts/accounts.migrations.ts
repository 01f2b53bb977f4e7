import type { Kysely, Migration } from 'kysely';

/** Schema of the accounts module, in name order. Portable DDL only (SQLite and PostgreSQL). */
export const accountsMigrations: Record<string, Migration> = {
  'accounts/0001_users': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'varchar(20)', (c) => c.primaryKey())
        // Stored lower-case, so these unique constraints are case-insensitive.
        .addColumn('username', 'varchar(30)', (c) => c.notNull().unique())
        .addColumn('email', 'varchar(254)', (c) => c.notNull().unique())
        .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  'accounts/0002_refresh_tokens': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('refresh_families')
        .addColumn('id', 'varchar(20)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(20)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('revoked_reason', 'varchar(16)')
        .execute();
      await db.schema.createIndex('refresh_families_user_idx').on('refresh_families').column('user_id').execute();
      await db.schema
        .createTable('refresh_tokens')
        .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('family_id', 'varchar(20)', (c) => c.notNull().references('refresh_families.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('spent_at', 'bigint')
        .execute();
      await db.schema.createIndex('refresh_tokens_family_idx').on('refresh_tokens').column('family_id').execute();
    },
  },
  'accounts/0003_api_keys': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'varchar(20)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(20)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'varchar(100)', (c) => c.notNull())
        .addColumn('prefix', 'varchar(16)', (c) => c.notNull())
        .addColumn('key_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
      // Serves "my keys, newest first".
      await db.schema.createIndex('api_keys_user_idx').on('api_keys').columns(['user_id', 'created_at']).execute();
    },
  },
  'accounts/0004_audit_events': {
    async up(db: Kysely<unknown>) {
      // No foreign key to users: the trail outlives what it talks about.
      await db.schema
        .createTable('audit_events')
        .addColumn('id', 'varchar(20)', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'varchar(32)', (c) => c.notNull())
        .addColumn('user_id', 'varchar(20)')
        .addColumn('ip', 'varchar(45)')
        .addColumn('user_agent', 'varchar(256)')
        .addColumn('details', 'text', (c) => c.notNull())
        .execute();
      // Serves "this user's events, newest first"; the primary key serves the global listing.
      await db.schema.createIndex('audit_events_user_idx').on('audit_events').columns(['user_id', 'id']).execute();
    },
  },
  'accounts/0005_user_roles': {
    async up(db: Kysely<unknown>) {
      // Operators are named on their record (`blueprint users:role`), not by a name in the environment that anyone could sign up with.
      await db.schema.alterTable('users').addColumn('role', 'varchar(16)', (c) => c.notNull().defaultTo('user')).execute();
    },
  },
};
