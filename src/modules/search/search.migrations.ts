import type { Kysely, Migration } from 'kysely';
import { identityColumn, type SqlDialectName } from '../../platform/sql/index.js';
import type { FullTextEngine } from './search.engine.js';
import { tsvectorEngine } from './postgres/tsvector.engine.js';
import { fts5Engine } from './sqlite/fts5.engine.js';

/** The full-text engine of a SQL dialect: FTS5 on SQLite, tsvector + GIN on PostgreSQL. */
export function fullTextEngineFor(dialect: SqlDialectName): FullTextEngine {
  return dialect === 'sqlite' ? fts5Engine : tsvectorEngine;
}

/** Schema of the search module for a dialect, in name order: portable tables, then the engine's index. */
export function searchMigrations(dialect: SqlDialectName): Record<string, Migration> {
  return {
    'search/0001_tables': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('search_tweets')
          // Never reused (AUTOINCREMENT / identity): ids only grow, which the pagination snapshot relies on.
          .addColumn('doc_id', ...identityColumn(dialect))
          .addColumn('tweet_id', 'varchar(32)', (c) => c.notNull().unique())
          .addColumn('author_id', 'varchar(32)', (c) => c.notNull())
          .addColumn('text', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('deleted_at', 'bigint')
          .execute();
        await db.schema
          .createTable('search_hashtags')
          .addColumn('tag', 'varchar(140)', (c) => c.notNull())
          .addColumn('doc_id', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('search_hashtags_pk', ['tag', 'doc_id'])
          .execute();
        // `#tag`, newest first: the index alone orders and pages the results.
        await db.schema.createIndex('search_hashtags_tag_created_idx').on('search_hashtags').columns(['tag', 'created_at desc', 'doc_id desc']).execute();
        // Removing a deleted tweet's tags.
        await db.schema.createIndex('search_hashtags_doc_idx').on('search_hashtags').column('doc_id').execute();
      },
    },
    'search/0002_fulltext': fullTextEngineFor(dialect).migration,
    'search/0003_purge_queue': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('search_purge_queue')
          .addColumn('doc_id', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.primaryKey())
          .addColumn('queued_at', 'bigint', (c) => c.notNull())
          .execute();
        // The purge takes the oldest first, a few at a time.
        await db.schema.createIndex('search_purge_queue_queued_idx').on('search_purge_queue').column('queued_at').execute();
      },
    },
  };
}
