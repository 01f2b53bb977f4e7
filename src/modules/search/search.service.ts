import type { PublicUser } from '../accounts/index.js';
import { decodeCursor, encodeCursor } from './search.cursor.js';
import { highlightRanges, type Highlight } from './highlights.js';
import { parseTweetQuery, parseUserQuery } from './search.query.js';
import type { SearchRepository } from './search.repository.js';

/** A tweet found by search, as stored by the index. */
export interface TweetHit {
  id: string;
  authorId: string;
  text: string;
  /** Epoch ms. */
  createdAt: number;
  /** Matched spans of `text` (ranked text search only). */
  highlights?: Highlight[];
}

/** A page of results and where the next one starts (null: the last page). */
export interface SearchPage<T> {
  items: T[];
  nextCursor: string | null;
}

/** What user search needs of the accounts module's directory. */
export interface UserPrefixSearch {
  search(prefix: string, limit: number, after?: string): Promise<PublicUser[]>;
}

/** Searching tweets (full text, or one hashtag) and users (name prefix). */
export class SearchService {
  readonly #repository: SearchRepository;

  constructor(repository: SearchRepository) {
    this.#repository = repository;
  }

  /**
   * Tweets matching a query. Ranked pages use a keyset cursor `(score, createdAt, docId)` plus a
   * snapshot bound (the newest doc id when the first page was asked): tweets indexed later never
   * show up in later pages, and deleted ones leave no gap, which an offset cannot promise. Deleted
   * tweets stay indexed a while as tombstones, so the cursor's own tweet keeps its exact score and
   * deletions do not move bm25's corpus statistics. Tweets indexed later still move them a little,
   * which can swap two results of close scores but different term counts or lengths across a
   * boundary (in a small corpus: FTS5's bm25 always uses the statistics of the whole index).
   * PostgreSQL's ts_rank reads no corpus statistics: there, a score never moves at all.
   * Hashtag pages are newest first, keyed on `(createdAt, docId)`.
   */
  async tweets(q: string, options: { cursor?: string | undefined; limit: number }): Promise<SearchPage<TweetHit>> {
    const query = parseTweetQuery(q);
    const { limit } = options;
    if (query.kind === 'hashtag') {
      const after = options.cursor === undefined ? null : decodeCursor(options.cursor, 'hashtag');
      const rows = await this.#repository.byTag(query.tag, limit + 1, after?.kind === 'hashtag' ? after : null);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map((r) => ({ id: r.tweetId, authorId: r.authorId, text: r.text, createdAt: r.createdAt })),
        nextCursor: rows.length > limit && last !== undefined ? encodeCursor({ kind: 'hashtag', createdAt: last.createdAt, docId: last.docId }) : null,
      };
    }
    const cursor = options.cursor === undefined ? null : decodeCursor(options.cursor, 'text');
    const maxDocId = cursor?.kind === 'text' ? cursor.maxDocId : await this.#repository.maxDocId();
    const rows = await this.#repository.match(query.terms, limit + 1, maxDocId, cursor?.kind === 'text' ? cursor : null);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => {
        const highlights = r.marked === null ? undefined : highlightRanges(r.marked, r.text);
        return { id: r.tweetId, authorId: r.authorId, text: r.text, createdAt: r.createdAt, ...(highlights === undefined ? {} : { highlights }) };
      }),
      nextCursor:
        rows.length > limit && last !== undefined ? encodeCursor({ kind: 'text', score: last.score, createdAt: last.createdAt, docId: last.docId, maxDocId }) : null,
    };
  }

  /** Users whose name starts with the query (a leading '@' is ignored), by name. */
  async users(directory: UserPrefixSearch, q: string, options: { cursor?: string | undefined; limit: number }): Promise<SearchPage<PublicUser>> {
    const prefix = parseUserQuery(q);
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor, 'users');
    const rows = await directory.search(prefix, options.limit + 1, after?.kind === 'users' ? after.after : undefined);
    const page = rows.slice(0, options.limit);
    const last = page.at(-1);
    return { items: page, nextCursor: rows.length > options.limit && last !== undefined ? encodeCursor({ kind: 'users', after: last.username }) : null };
  }
}
