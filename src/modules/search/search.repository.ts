import type { Kysely } from 'kysely';
import type { SqlDatabase } from '../../platform/sql/index.js';
import type { FullTextEngine, RankCursor, RankedHit } from './search.engine.js';
import type { SearchTables } from './search.tables.js';

/** A tweet as the index receives it. */
export interface IndexedTweet {
  tweetId: string;
  authorId: string;
  text: string;
  /** Lower-case, without '#'. */
  hashtags: readonly string[];
  createdAt: number;
}

/** A tweet found by tag: no score. */
export type TaggedHit = Omit<RankedHit, 'score' | 'marked'>;

/** The only code that queries the search tables; the full-text part goes through the engine. */
export class SearchRepository {
  readonly #sql: SqlDatabase<SearchTables>;
  readonly #engine: FullTextEngine;

  constructor(sql: SqlDatabase<SearchTables>, engine: FullTextEngine) {
    this.#sql = sql;
    this.#engine = engine;
  }

  /** Runs `work` in one transaction (a consumer's batch of events); pass its `trx` to the writes. */
  transaction<T>(work: (trx: Kysely<SearchTables>) => Promise<T>): Promise<T> {
    return this.#sql.db.transaction().execute(work);
  }

  /** `work` in `trx` when given, else in a transaction of its own. */
  #in<T>(trx: Kysely<SearchTables> | undefined, work: (trx: Kysely<SearchTables>) => Promise<T>): Promise<T> {
    return trx === undefined ? this.transaction(work) : work(trx);
  }

  /**
   * Indexes a tweet once: false when it is indexed already or was deleted first (its tombstone
   * wins), so redelivered and out-of-order events change nothing.
   */
  async index(tweet: IndexedTweet, db?: Kysely<SearchTables>): Promise<boolean> {
    return this.#in(db, async (trx) => {
      const known = await trx.selectFrom('search_tweets').select('doc_id').where('tweet_id', '=', tweet.tweetId).executeTakeFirst();
      if (known !== undefined) return false;
      const inserted = await trx
        .insertInto('search_tweets')
        .values({ tweet_id: tweet.tweetId, author_id: tweet.authorId, text: tweet.text, created_at: tweet.createdAt, deleted_at: null })
        .returning('doc_id')
        .executeTakeFirstOrThrow();
      // Drivers differ: better-sqlite3 answers a number, node-postgres a string for bigint.
      const docId = Number(inserted.doc_id);
      await this.#engine.add(trx, { docId, text: tweet.text });
      if (tweet.hashtags.length > 0) {
        await trx.insertInto('search_hashtags').values(tweet.hashtags.map((tag) => ({ tag, doc_id: docId, created_at: tweet.createdAt }))).execute();
      }
      return true;
    });
  }

  /**
   * Makes a tweet a tombstone: never a result again, and its tags are gone, but its text stays in
   * the full-text index until {@link purge} (queued at `now`): removing it at once would change
   * bm25's corpus statistics under open searches, and lose the score their cursor resumes from.
   * A tombstone without text is left for a tweet not indexed yet. False when nothing live was removed.
   */
  async remove(tweetId: string, authorId: string, at: number, now: number, db?: Kysely<SearchTables>): Promise<boolean> {
    return this.#in(db, async (trx) => {
      const row = await trx.selectFrom('search_tweets').select(['doc_id', 'deleted_at']).where('tweet_id', '=', tweetId).executeTakeFirst();
      if (row === undefined) {
        await trx.insertInto('search_tweets').values({ tweet_id: tweetId, author_id: authorId, text: '', created_at: at, deleted_at: at }).execute();
        return false;
      }
      if (row.deleted_at !== null) return false;
      await trx.deleteFrom('search_hashtags').where('doc_id', '=', row.doc_id).execute();
      await trx.updateTable('search_tweets').set({ deleted_at: at }).where('doc_id', '=', row.doc_id).execute();
      await trx.insertInto('search_purge_queue').values({ doc_id: row.doc_id, queued_at: now }).execute();
      return true;
    });
  }

  /**
   * Takes out of the full-text index, and forgets the text of, at most `limit` tombstones queued
   * up to `before`, oldest first; answers how many. Reads first, so that an empty queue costs no
   * write lock; a tombstone is purged only by whoever took it off the queue (never twice: the
   * engine must not remove a document it no longer holds).
   */
  async purge(before: number, limit: number, db?: Kysely<SearchTables>): Promise<number> {
    const due = await (db ?? this.#sql.db).selectFrom('search_purge_queue').select('doc_id').where('queued_at', '<=', before).orderBy('queued_at').limit(limit).execute();
    if (due.length === 0) return 0;
    return this.#in(db, async (trx) => {
      const taken = await trx.deleteFrom('search_purge_queue').where('doc_id', 'in', due.map((d) => d.doc_id)).returning('doc_id').execute();
      if (taken.length === 0) return 0;
      const docIds = taken.map((d) => d.doc_id);
      const rows = await trx.selectFrom('search_tweets').select(['doc_id', 'text']).where('doc_id', 'in', docIds).execute();
      for (const row of rows) await this.#engine.remove(trx, { docId: Number(row.doc_id), text: row.text });
      await trx.updateTable('search_tweets').set({ text: '' }).where('doc_id', 'in', docIds).execute();
      return rows.length;
    });
  }

  /** The newest doc id: the snapshot bound of a ranked search's pages. */
  async maxDocId(): Promise<number> {
    const row = await this.#sql.db.selectFrom('search_tweets').select((eb) => eb.fn.max('doc_id').as('max')).executeTakeFirst();
    return Number(row?.max ?? 0);
  }

  /** Full-text matches among live tweets, best first. */
  match(terms: readonly string[], limit: number, maxDocId: number, after: RankCursor | null): Promise<RankedHit[]> {
    return this.#engine.match(this.#sql.db, { terms, limit, maxDocId, after });
  }

  /** Live tweets with a tag, newest first, after `(createdAt, docId)`. */
  async byTag(tag: string, limit: number, after: { createdAt: number; docId: number } | null): Promise<TaggedHit[]> {
    let query = this.#sql.db
      .selectFrom('search_hashtags as h')
      .innerJoin('search_tweets as t', 't.doc_id', 'h.doc_id')
      .select(['t.doc_id', 't.tweet_id', 't.author_id', 't.text', 't.created_at'])
      .where('h.tag', '=', tag)
      .where('t.deleted_at', 'is', null)
      .orderBy('h.created_at', 'desc')
      .orderBy('h.doc_id', 'desc')
      .limit(limit);
    if (after !== null) {
      query = query.where((eb) => eb.or([eb('h.created_at', '<', after.createdAt), eb.and([eb('h.created_at', '=', after.createdAt), eb('h.doc_id', '<', after.docId)])]));
    }
    const rows = await query.execute();
    return rows.map((r) => ({ docId: Number(r.doc_id), tweetId: r.tweet_id, authorId: r.author_id, text: r.text, createdAt: Number(r.created_at) }));
  }
}
