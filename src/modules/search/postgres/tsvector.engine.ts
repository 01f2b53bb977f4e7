import { sql, type Kysely, type Migration, type RawBuilder } from 'kysely';
import { MARK_CLOSE, MARK_OPEN, type FullTextEngine, type RankCursor, type RankedHit } from '../search.engine.js';
import type { SearchTables } from '../search.tables.js';
import { createFoldFunction, ensureUnaccent, FOLD_FUNCTION, hasIcu } from './text-fold.js';

const HEADLINE = `StartSel="${MARK_OPEN}", StopSel="${MARK_CLOSE}", HighlightAll=true`;
/** ts_rank normalisation 1: divides by 1 + log(length), so shorter texts rank higher, as bm25 does. */
const SHORTER_FIRST = 1;

/**
 * PostgreSQL full text: a `tsvector` per live or tombstoned document in `search_tweets_fts`, under
 * a GIN index, made with the `simple` configuration (no stemming, no stop words: every word is
 * searchable, as with FTS5's unicode61) over `search_fold(text)` (lower-case, no accents; see
 * text-fold.ts). Each query word goes through `plainto_tsquery`, which reads no operators, so no
 * input is ever syntax. Ranked by ts_rank, then recency.
 *
 * ts_rank looks at the document and the query only, not at the rest of the corpus (bm25 does): a
 * score never moves, so a cursor's remembered score is exact, even after its tweet was purged.
 */
export const tsvectorEngine: FullTextEngine = {
  migration: {
    async up(db: Kysely<unknown>) {
      await createFoldFunction(db, FOLD_FUNCTION, { unaccentSchema: await ensureUnaccent(db), icu: await hasIcu(db) });
      await db.schema
        .createTable('search_tweets_fts')
        .addColumn('doc_id', 'bigint', (c) => c.primaryKey())
        .addColumn('tsv', sql`tsvector`, (c) => c.notNull())
        .execute();
      await sql`create index search_tweets_fts_tsv_idx on search_tweets_fts using gin (tsv)`.execute(db);
    },
  } satisfies Migration,

  async add(db, doc) {
    await sql`insert into search_tweets_fts (doc_id, tsv) values (${doc.docId}, to_tsvector('simple', ${sql.id(FOLD_FUNCTION)}(${doc.text})))`.execute(db);
  },

  async remove(db, doc) {
    await sql`delete from search_tweets_fts where doc_id = ${doc.docId}`.execute(db);
  },

  async match(db: Kysely<SearchTables>, { terms, limit, maxDocId, after }) {
    const query = tsquery(terms);
    // Innermost: the page, by score; outside it: the highlights, for those rows only. The query is
    // written out, not joined in, so the planner sees a constant it can look up in the GIN index.
    const { rows } = await sql<{ doc_id: number; tweet_id: string; author_id: string; text: string; created_at: number; score: number; marked: string }>`
      select p.*, ts_headline('simple', ${sql.id(FOLD_FUNCTION)}(p.text), ${query}, ${HEADLINE}) as marked
      from (
        select r.* from (
          select t.doc_id, t.tweet_id, t.author_id, t.text, t.created_at, -ts_rank(f.tsv, ${query}, ${SHORTER_FIRST})::float8 as score
          from search_tweets_fts f join search_tweets t on t.doc_id = f.doc_id
          where f.tsv @@ ${query} and t.doc_id <= ${maxDocId} and t.deleted_at is null
        ) r
        ${after === null ? sql`` : sql`where ${afterCursor(after)}`}
        order by r.score, r.created_at desc, r.doc_id desc
        limit ${limit}
      ) p
      order by p.score, p.created_at desc, p.doc_id desc`.execute(db);
    return rows.map((r): RankedHit => ({
      docId: Number(r.doc_id),
      tweetId: r.tweet_id,
      authorId: r.author_id,
      text: r.text,
      createdAt: Number(r.created_at),
      score: r.score,
      marked: unfold(r.marked, r.text),
    }));
  },
};

/** Every term required; each one read as plain text by plainto_tsquery. */
function tsquery(terms: readonly string[]): RawBuilder<unknown> {
  return sql`(${sql.join(terms.map((term) => sql`plainto_tsquery('simple', ${sql.id(FOLD_FUNCTION)}(${term}))`), sql` && `)})`;
}

function afterCursor(c: RankCursor) {
  return sql`(r.score > ${c.score}::float8 or (r.score = ${c.score}::float8 and (r.created_at < ${c.createdAt} or (r.created_at = ${c.createdAt} and r.doc_id < ${c.docId}))))`;
}

/**
 * The marks ts_headline put in the folded text, carried over to the original text, which the
 * folding changes character for character ("Café" to "cafe"). Null when a folding changed the
 * length ("ß" to "ss"): the offsets would not line up, so no highlights rather than wrong ones.
 */
export function unfold(markedFolded: string, text: string): string | null {
  let out = '';
  let j = 0;
  for (const ch of markedFolded) {
    if (ch === MARK_OPEN || ch === MARK_CLOSE) {
      out += ch;
    } else {
      const original = text.codePointAt(j);
      if (original === undefined) return null;
      const char = String.fromCodePoint(original);
      out += char;
      j += char.length;
    }
  }
  return j === text.length ? out : null;
}
