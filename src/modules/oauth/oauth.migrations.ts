import type { Kysely, Migration } from 'kysely';

/** Schema of the OAuth module, in name order. Portable DDL only (SQLite and PostgreSQL). */
export const oauthMigrations: Record<string, Migration> = {
  'oauth/0001_clients_grants_tokens': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('oauth_clients')
        .addColumn('id', 'varchar(20)', (c) => c.primaryKey())
        .addColumn('client_id', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('website', 'varchar(2048)')
        .addColumn('redirect_uris', 'text', (c) => c.notNull())
        .addColumn('scopes', 'varchar(1024)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      // No foreign key to users: the accounts module owns them (and may live in another database).
      await db.schema
        .createTable('oauth_grants')
        .addColumn('id', 'varchar(20)', (c) => c.primaryKey())
        .addColumn('client_id', 'varchar(20)', (c) => c.notNull().references('oauth_clients.id').onDelete('cascade'))
        .addColumn('user_id', 'varchar(20)')
        .addColumn('username', 'varchar(30)')
        .addColumn('scopes', 'varchar(1024)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('revoked_reason', 'varchar(16)')
        .execute();
      // Serves "the apps I authorized".
      await db.schema.createIndex('oauth_grants_user_idx').on('oauth_grants').columns(['user_id', 'id']).execute();
      await db.schema
        .createTable('oauth_codes')
        .addColumn('code_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('client_id', 'varchar(20)', (c) => c.notNull().references('oauth_clients.id').onDelete('cascade'))
        .addColumn('user_id', 'varchar(20)', (c) => c.notNull())
        .addColumn('username', 'varchar(30)', (c) => c.notNull())
        .addColumn('redirect_uri', 'varchar(2048)', (c) => c.notNull())
        .addColumn('scopes', 'varchar(1024)', (c) => c.notNull())
        .addColumn('code_challenge', 'varchar(128)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .addColumn('grant_id', 'varchar(20)')
        .execute();
      await db.schema
        .createTable('oauth_access_tokens')
        .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('grant_id', 'varchar(20)', (c) => c.notNull().references('oauth_grants.id').onDelete('cascade'))
        .addColumn('scopes', 'varchar(1024)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('oauth_access_tokens_grant_idx').on('oauth_access_tokens').column('grant_id').execute();
      await db.schema
        .createTable('oauth_refresh_tokens')
        .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('grant_id', 'varchar(20)', (c) => c.notNull().references('oauth_grants.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('spent_at', 'bigint')
        .execute();
      await db.schema.createIndex('oauth_refresh_tokens_grant_idx').on('oauth_refresh_tokens').column('grant_id').execute();
    },
  },
};
