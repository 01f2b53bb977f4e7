import type { Kysely, Migration } from 'kysely';
import type { SearchTables } from './search.tables.js';

/** Where a ranked page ends: the last hit's score, then recency, then doc id. */
export interface RankCursor {
  score: number;
  createdAt: number;
  docId: number;
}

/** A full-text match with the engine's score (lower is better) and the text with matches marked. */
export interface RankedHit {
  docId: number;
  tweetId: string;
  authorId: string;
  text: string;
  createdAt: number;
  score: number;
  /** The text with matches wrapped in {@link MARK_OPEN} / {@link MARK_CLOSE}, when the engine can. */
  marked: string | null;
}

export const MARK_OPEN = '\u0002';
export const MARK_CLOSE = '\u0003';

/**
 * The engine-specific part of search: the full-text index over `search_tweets.text`. SQLite's is
 * FTS5 (`sqlite/fts5.engine.ts`), PostgreSQL's a tsvector table under a GIN index
 * (`postgres/tsvector.engine.ts`). Only what differs between engines lives behind this; tables,
 * tags and tombstones are portable.
 */
export interface FullTextEngine {
  /** Creates the index; runs after the portable tables exist (named `search/0002_fulltext`). */
  readonly migration: Migration;
  /** Indexes a live document, inside the caller's transaction. */
  add(db: Kysely<SearchTables>, doc: { docId: number; text: string }): Promise<void>;
  /**
   * Removes a document; `text` is exactly what was indexed. Called when a tombstone is purged, not
   * when the tweet is deleted: until then it stays indexed, only left out of the results.
   */
  remove(db: Kysely<SearchTables>, doc: { docId: number; text: string }): Promise<void>;
  /**
   * Live documents (`deleted_at` null) matching every term (each a plain word: letters, digits,
   * marks), best first, then newest first, among doc ids up to `maxDocId`, after `after`. The
   * score of `after` is recomputed while its document is still indexed, deleted or not.
   */
  match(db: Kysely<SearchTables>, query: { terms: readonly string[]; limit: number; maxDocId: number; after: RankCursor | null }): Promise<RankedHit[]>;
}
