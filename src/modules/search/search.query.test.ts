import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors/index.js';
import { decodeCursor, encodeCursor } from './search.cursor.js';
import { highlightRanges } from './highlights.js';
import { MARK_CLOSE as C, MARK_OPEN as O } from './search.engine.js';
import { MAX_QUERY_LENGTH, parseTweetQuery, parseUserQuery } from './search.query.js';

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (error) {
    return error instanceof AppError && error.status === 400 ? error.code : `not a 400: ${String(error)}`;
  }
  return undefined;
};

describe('parseTweetQuery', () => {
  it('keeps words only: lower-case, distinct, operators and quotes stripped', () => {
    expect(parseTweetQuery('  Rust  rust LANG ')).toEqual({ kind: 'text', terms: ['rust', 'lang'] });
    expect(parseTweetQuery('"rust" OR -go* NEAR(a b) title:x ^y')).toEqual({ kind: 'text', terms: ['rust', 'or', 'go', 'near', 'a', 'b', 'title', 'x', 'y'] });
    expect(parseTweetQuery("'); DROP TABLE search_tweets; --")).toEqual({ kind: 'text', terms: ['drop', 'table', 'search', 'tweets'] });
    expect(parseTweetQuery('Café 東京 naïve')).toEqual({ kind: 'text', terms: ['café', '東京', 'naïve'] });
  });

  it('composes decomposed input (NFD) so that it matches what was indexed', () => {
    expect(parseTweetQuery('cafe\u0301')).toEqual({ kind: 'text', terms: ['café'] });
  });

  it('reads a lone #tag as an exact hashtag search, anything more as words', () => {
    expect(parseTweetQuery('#TypeScript')).toEqual({ kind: 'hashtag', tag: 'typescript' });
    expect(parseTweetQuery('#node_js')).toEqual({ kind: 'hashtag', tag: 'node_js' });
    expect(parseTweetQuery('#rust lang')).toEqual({ kind: 'text', terms: ['rust', 'lang'] });
  });

  it('refuses empty, wordless, too long and too wordy queries with stable codes', () => {
    expect(codeOf(() => parseTweetQuery(''))).toBe('search_query_empty');
    expect(codeOf(() => parseTweetQuery('   \n\t'))).toBe('search_query_empty');
    expect(codeOf(() => parseTweetQuery('"*-^():'))).toBe('search_query_empty');
    expect(codeOf(() => parseTweetQuery('##'))).toBe('search_query_empty');
    expect(codeOf(() => parseTweetQuery('x'.repeat(MAX_QUERY_LENGTH)))).toBeUndefined();
    expect(codeOf(() => parseTweetQuery('x'.repeat(MAX_QUERY_LENGTH + 1)))).toBe('search_query_too_long');
    expect(codeOf(() => parseTweetQuery(Array.from({ length: 17 }, (_, i) => `w${i}`).join(' ')))).toBe('search_query_too_long');
  });
});

describe('parseUserQuery', () => {
  it('takes a name prefix, with or without @, lower-cased', () => {
    expect(parseUserQuery(' @Ali ')).toBe('ali');
    expect(parseUserQuery('bo_b')).toBe('bo_b');
    expect(codeOf(() => parseUserQuery('@'))).toBe('search_query_empty');
    expect(codeOf(() => parseUserQuery(''))).toBe('search_query_empty');
  });
});

describe('search cursors', () => {
  it('round-trip per kind and refuse anything else with cursor_invalid', () => {
    const text = { kind: 'text', score: -1.2345678901234567e-6, createdAt: 1_767_225_600_123, docId: 42, maxDocId: 99 } as const;
    expect(decodeCursor(encodeCursor(text), 'text')).toEqual(text);
    expect(decodeCursor(encodeCursor({ kind: 'hashtag', createdAt: 5, docId: 6 }), 'hashtag')).toEqual({ kind: 'hashtag', createdAt: 5, docId: 6 });
    expect(decodeCursor(encodeCursor({ kind: 'users', after: 'bob' }), 'users')).toEqual({ kind: 'users', after: 'bob' });
    const bad = [
      'not base64 json',
      '',
      encodeCursor({ kind: 'hashtag', createdAt: 5, docId: 6 }),
      Buffer.from(JSON.stringify(['t', 'NaN', 1, 2, 3])).toString('base64url'),
      Buffer.from(JSON.stringify(['t', 1, 1.5, 2, 3])).toString('base64url'),
      Buffer.from(JSON.stringify({ t: 1 })).toString('base64url'),
    ];
    for (const c of bad) expect(codeOf(() => decodeCursor(c, 'text')), c).toBe('cursor_invalid');
  });
});

describe('highlightRanges', () => {
  it('turns markers into offsets of the unmarked text', () => {
    expect(highlightRanges(`${O}Café${C} au lait, ${O}café${C}!`, 'Café au lait, café!')).toEqual([{ start: 0, end: 4 }, { start: 14, end: 18 }]);
    expect(highlightRanges('no match', 'no match')).toEqual([]);
    expect(highlightRanges(`🙂 ${O}rust${C}`, '🙂 rust')).toEqual([{ start: 3, end: 7 }]);
  });

  it('gives up when marked and text do not line up', () => {
    expect(highlightRanges(`${O}a${C}`, 'b')).toBeUndefined();
    expect(highlightRanges(`${O}abc`, 'abc')).toBeUndefined();
  });
});
