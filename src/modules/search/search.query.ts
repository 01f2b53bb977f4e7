import { SearchInputError } from './search.errors.js';

/** Longest query accepted, in characters after trimming. */
export const MAX_QUERY_LENGTH = 256;
/** Most words a tweet query may have (each one costs an index lookup). */
export const MAX_QUERY_TERMS = 16;

/** A tweet query: plain words that must all appear, or one exact hashtag. */
export type TweetQuery = { kind: 'text'; terms: string[] } | { kind: 'hashtag'; tag: string };

const HASHTAG = /^#([\p{L}\p{N}_]+)$/u;
// A word starts with a letter or digit; combining marks stay attached (NFD input, Indic scripts).
// Everything else — quotes, *, ^, :, -, parentheses — separates words and is never sent as syntax.
const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;

function normalized(raw: string): string {
  const q = raw.normalize('NFC').trim();
  if (q.length === 0) throw new SearchInputError('search_query_empty', 'The query is empty', '/q');
  if (q.length > MAX_QUERY_LENGTH) throw new SearchInputError('search_query_too_long', `The query is longer than ${MAX_QUERY_LENGTH} characters`, '/q');
  return q;
}

/**
 * Turns what a user typed into a safe query: `#tag` alone is an exact tag search; anything else is
 * reduced to its words (lower-case, distinct), which all must match. Operators of the engine's
 * syntax are stripped, never interpreted, so no input can make the engine fail.
 */
export function parseTweetQuery(raw: string): TweetQuery {
  const q = normalized(raw);
  const tag = HASHTAG.exec(q);
  if (tag !== null) return { kind: 'hashtag', tag: tag[1]!.toLowerCase() };
  const terms = [...new Set((q.match(WORD) ?? []).map((w) => w.toLowerCase()))];
  if (terms.length === 0) throw new SearchInputError('search_query_empty', 'The query has no words to search for', '/q');
  if (terms.length > MAX_QUERY_TERMS) throw new SearchInputError('search_query_too_long', `The query has more than ${MAX_QUERY_TERMS} words`, '/q');
  return { kind: 'text', terms };
}

/** A user query: a user name prefix, with or without a leading '@'. */
export function parseUserQuery(raw: string): string {
  const prefix = normalized(raw).replace(/^@/, '').toLowerCase();
  if (prefix.length === 0) throw new SearchInputError('search_query_empty', 'The query is empty', '/q');
  return prefix;
}
