import type { Kysely, Migration } from 'kysely';

/** Schema of the analytics module. */
export const analyticsMigrations: Record<string, Migration> = {
  'analytics/0001_clicks': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('clicks')
        .addColumn('id', 'varchar(24)', (c) => c.primaryKey())
        .addColumn('code', 'varchar(64)', (c) => c.notNull())
        .addColumn('clicked_at', 'bigint', (c) => c.notNull())
        .addColumn('ip_address', 'varchar(45)', (c) => c.notNull())
        .addColumn('user_agent', 'text', (c) => c.notNull())
        .addColumn('referrer', 'text', (c) => c.notNull())
        .addColumn('method', 'varchar(8)', (c) => c.notNull())
        .addColumn('is_bot', 'integer', (c) => c.notNull())
        .execute();
      // Raw clicks of one link in a time range (exports, retention by age).
      await db.schema.createIndex('clicks_code_time_idx').on('clicks').columns(['code', 'clicked_at']).execute();
      // The primary keys serve the stats queries: one code, a range of hours or days.
      await db.schema
        .createTable('click_counts_hourly')
        .addColumn('code', 'varchar(64)', (c) => c.notNull())
        .addColumn('hour', 'bigint', (c) => c.notNull())
        .addColumn('clicks', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('bots', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('heads', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('click_counts_hourly_pk', ['code', 'hour'])
        .execute();
      await db.schema
        .createTable('click_dims_daily')
        .addColumn('code', 'varchar(64)', (c) => c.notNull())
        .addColumn('day', 'bigint', (c) => c.notNull())
        .addColumn('dim', 'varchar(16)', (c) => c.notNull())
        .addColumn('value', 'varchar(256)', (c) => c.notNull())
        .addColumn('clicks', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('click_dims_daily_pk', ['code', 'day', 'dim', 'value'])
        .execute();
    },
  },
};
