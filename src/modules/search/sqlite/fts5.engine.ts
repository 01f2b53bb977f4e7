import { sql, type Kysely, type Migration } from 'kysely';
import { MARK_CLOSE, MARK_OPEN, type FullTextEngine, type RankCursor, type RankedHit } from '../search.engine.js';
import type { SearchTables } from '../search.tables.js';

/**
 * FTS5 as an external-content index of `search_tweets` (the text is stored once, in the table):
 * `unicode61 remove_diacritics 2` folds case and accents ("Café" matches "cafe"). Every term is
 * sent as a quoted string, so no user input is ever read as FTS5 syntax (NEAR, OR, *, column:).
 */
export const fts5Engine: FullTextEngine = {
  migration: {
    async up(db: Kysely<unknown>) {
      await sql`CREATE VIRTUAL TABLE search_tweets_fts USING fts5(
        text, content='search_tweets', content_rowid='doc_id', tokenize='unicode61 remove_diacritics 2'
      )`.execute(db);
    },
  } satisfies Migration,

  async add(db, doc) {
    await sql`INSERT INTO search_tweets_fts (rowid, text) VALUES (CAST(${doc.docId} AS INTEGER), ${doc.text})`.execute(db);
  },

  async remove(db, doc) {
    // External content: FTS5 must be told the old text to remove its tokens.
    await sql`INSERT INTO search_tweets_fts (search_tweets_fts, rowid, text) VALUES ('delete', CAST(${doc.docId} AS INTEGER), ${doc.text})`.execute(db);
  },

  async match(db: Kysely<SearchTables>, { terms, limit, maxDocId, after }) {
    const expression = terms.map(quote).join(' ');
    const anchor = after === null ? null : { ...after, score: (await scoreOf(db, expression, after.docId)) ?? after.score };
    // bm25() is negative, lower is better; the `score` alias is visible to WHERE in SQLite.
    // Tombstones are still in the index (they count in bm25's statistics), never in the results.
    const { rows } = await sql<{ doc_id: number; tweet_id: string; author_id: string; text: string; created_at: number; score: number; marked: string }>`
      SELECT t.doc_id, t.tweet_id, t.author_id, t.text, t.created_at,
             bm25(search_tweets_fts) AS score,
             highlight(search_tweets_fts, 0, ${MARK_OPEN}, ${MARK_CLOSE}) AS marked
      FROM search_tweets_fts JOIN search_tweets t ON t.doc_id = search_tweets_fts.rowid
      WHERE search_tweets_fts MATCH ${expression} AND t.doc_id <= ${maxDocId} AND t.deleted_at IS NULL ${anchor === null ? sql`` : sql`AND ${afterCursor(anchor)}`}
      ORDER BY score, t.created_at DESC, t.doc_id DESC
      LIMIT ${limit}`.execute(db);
    return rows.map((r): RankedHit => ({
      docId: r.doc_id,
      tweetId: r.tweet_id,
      authorId: r.author_id,
      text: r.text,
      createdAt: Number(r.created_at),
      score: r.score,
      marked: r.marked,
    }));
  },
};

/** An FTS5 string: the tokenizer splits it, nothing inside is an operator. */
function quote(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}

/**
 * The current score of the last document of the previous page. bm25 depends on the corpus (its
 * size, its mean length), which moves as tweets are indexed: the score a cursor remembers no
 * longer lines up with today's scores, while the document's place in the order does (but for
 * close scores, see `SearchService.tweets`). A deleted document is still indexed until its
 * tombstone is purged; null only after that (a cursor older than the purge delay: the remembered
 * score is then the best guess).
 * The CASTs matter: better-sqlite3 binds every JS number as a REAL, and FTS5 silently ignores a
 * `rowid = <real>` constraint (every match comes back), where a regular table would compare values.
 */
async function scoreOf(db: Kysely<SearchTables>, expression: string, docId: number): Promise<number | null> {
  const { rows } = await sql<{ score: number }>`
    SELECT bm25(search_tweets_fts) AS score FROM search_tweets_fts WHERE search_tweets_fts MATCH ${expression} AND rowid = CAST(${docId} AS INTEGER)`.execute(db);
  return rows[0]?.score ?? null;
}

function afterCursor(c: RankCursor) {
  return sql`(score > ${c.score} OR (score = ${c.score} AND (t.created_at < ${c.createdAt} OR (t.created_at = ${c.createdAt} AND t.doc_id < ${c.docId}))))`;
}
