import type { Kysely, Migration } from 'kysely';

/** Schema of the key generators; portable across SQLite and PostgreSQL. */
export const keygenMigrations: Record<string, Migration> = {
  'keygen/0001_counters_and_pool': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('keygen_counters')
        .addColumn('name', 'text', (c) => c.primaryKey())
        // bigint: a counter of short links outlives 2^31 long before it outlives 62^7.
        .addColumn('next_value', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createTable('keygen_pool').addColumn('code', 'text', (c) => c.primaryKey()).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('keygen_pool').execute();
      await db.schema.dropTable('keygen_counters').execute();
    },
  },
};
