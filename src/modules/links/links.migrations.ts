import type { Kysely, Migration } from 'kysely';
import { keygenMigrations } from './keygen/index.js';

/** Schema of the links module, in name order. */
export const linksMigrations: Record<string, Migration> = {
  ...keygenMigrations,
  'links/0001_links': {
    async up(db: Kysely<unknown>) {
      // The code is the key: redirects look links up by code and nothing else needs a surrogate id.
      await db.schema
        .createTable('links')
        .addColumn('code', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('owner_id', 'varchar(64)')
        .addColumn('redirect', 'integer', (c) => c.notNull().defaultTo(302))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .execute();
      // Serves "my links, newest first" (owner listing, cursor on created_at then code).
      await db.schema.createIndex('links_owner_created_idx').on('links').columns(['owner_id', 'created_at desc', 'code desc']).execute();
    },
  },
  'links/0002_deleted_at': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('links').addColumn('deleted_at', 'bigint').execute();
    },
  },
  'links/0003_public_stats': {
    async up(db: Kysely<unknown>) {
      // 1: anyone may read the link's statistics; 0: its owner only (links of nobody are always public).
      await db.schema.alterTable('links').addColumn('public_stats', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
  },
};
