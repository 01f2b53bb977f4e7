import type { Generated } from 'kysely';

/** One indexed tweet, or the tombstone of a deleted one (so that a late `tweet_posted` stays out). */
export interface SearchTweetsTable {
  /** Internal integer key: the full-text index's row id, and the pagination snapshot bound. */
  doc_id: Generated<number>;
  /** Snowflake id (decimal string) from the feed. */
  tweet_id: string;
  author_id: string;
  /** NFC text as indexed; kept while a deleted tweet is still in the full-text index, emptied when purged. */
  text: string;
  /** Epoch ms. */
  created_at: number;
  /** Epoch ms; not null for a tombstone. */
  deleted_at: number | null;
}

/** Hashtags of live tweets (lower-case, without '#'), for exact tag search, newest first. */
export interface SearchHashtagsTable {
  tag: string;
  doc_id: number;
  /** The tweet's, copied so the tag index alone orders the results. */
  created_at: number;
}

/**
 * Deleted tweets still in the full-text index. They stay there a while so that bm25 keeps the same
 * corpus statistics, and a cursor whose last result was deleted still finds its exact score.
 */
export interface SearchPurgeQueueTable {
  doc_id: number;
  /** Epoch ms, by the indexer's clock: when the tweet stopped being a result. */
  queued_at: number;
}

/** The tables the search module owns (plus its engine's full-text index). */
export interface SearchTables {
  search_tweets: SearchTweetsTable;
  search_hashtags: SearchHashtagsTable;
  search_purge_queue: SearchPurgeQueueTable;
}
