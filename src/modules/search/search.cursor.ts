import type { RankCursor } from './search.engine.js';
import { SearchInputError } from './search.errors.js';

/** Where the next page starts, per kind of search. */
export type SearchCursor =
  /** Ranked text search: after this hit, among documents indexed up to `maxDocId` (the snapshot). */
  | ({ kind: 'text'; maxDocId: number } & RankCursor)
  /** Hashtag search, newest first. */
  | { kind: 'hashtag'; createdAt: number; docId: number }
  /** User search, by name. */
  | { kind: 'users'; after: string };

/** An opaque cursor string. */
export function encodeCursor(c: SearchCursor): string {
  const fields = c.kind === 'text' ? ['t', c.score, c.createdAt, c.docId, c.maxDocId] : c.kind === 'hashtag' ? ['h', c.createdAt, c.docId] : ['u', c.after];
  return Buffer.from(JSON.stringify(fields)).toString('base64url');
}

const int = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Reads a cursor of the expected kind; anything else is a 400, never a failed query. */
export function decodeCursor(cursor: string, kind: SearchCursor['kind']): SearchCursor {
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    fields = null;
  }
  if (Array.isArray(fields)) {
    const [tag, a, b, c, d] = fields as unknown[];
    if (kind === 'text' && tag === 't' && typeof a === 'number' && Number.isFinite(a) && int(b) && int(c) && int(d) && fields.length === 5) {
      return { kind, score: a, createdAt: b, docId: c, maxDocId: d };
    }
    if (kind === 'hashtag' && tag === 'h' && int(a) && int(b) && fields.length === 3) return { kind, createdAt: a, docId: b };
    if (kind === 'users' && tag === 'u' && typeof a === 'string' && a.length <= 64 && fields.length === 2) return { kind, after: a };
  }
  throw new SearchInputError('cursor_invalid', 'The cursor is not one this search gave out', '/cursor');
}
