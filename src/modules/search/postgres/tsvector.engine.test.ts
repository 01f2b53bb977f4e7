import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../../platform/sql/index.js';
import { TEST_DIALECTS } from '../../../platform/sql/testing/test-databases.js';
import { MARK_CLOSE, MARK_OPEN } from '../search.engine.js';
import { searchMigrations } from '../search.migrations.js';
import { SearchRepository } from '../search.repository.js';
import type { SearchTables } from '../search.tables.js';
import { createFoldFunction, foldTable, hasIcu } from './text-fold.js';
import { tsvectorEngine, unfold } from './tsvector.engine.js';

const postgres = TEST_DIALECTS.find((d) => d.name === 'postgres')!;
const mark = (s: string) => s.replaceAll('[', MARK_OPEN).replaceAll(']', MARK_CLOSE);

describe('unfold', () => {
  it('carries the marks over to the original text, code point for code point', () => {
    expect(unfold(mark('un [cafe] creme — [cafe]!'), 'Un Café crème — CAFE!')).toBe(mark('Un [Café] crème — [CAFE]!'));
    expect(unfold(mark('[😀] x'), '😀 x')).toBe(mark('[😀] x'));
  });

  it('gives up when the folding changed the length', () => {
    expect(unfold(mark('[strasse]'), 'Straße')).toBeNull();
    expect(unfold(mark('[ab]'), 'abc')).toBeNull();
  });
});

describe('foldTable', () => {
  it('maps each accented Latin letter to one base letter and deletes combining marks', () => {
    const { from, to } = foldTable();
    const map = new Map([...to].map((base, i) => [[...from][i]!, base]));
    expect(map.get('é')).toBe('e');
    expect(map.get('Ø')).toBe('O');
    expect(map.get('ł')).toBe('l');
    expect([...from].length).toBeGreaterThan([...to].length);
    expect([...from].slice([...to].length).every((c) => /\p{M}/u.test(c))).toBe(true);
  });
});

describe.runIf(postgres.available)('tsvector engine [postgres]', () => {
  let db: SqlDatabase<SearchTables>;
  let repository: SearchRepository;
  beforeAll(async () => {
    db = await postgres.open<SearchTables>();
    await db.migrate(searchMigrations('postgres'));
    repository = new SearchRepository(db, tsvectorEngine);
  });
  afterAll(async () => {
    await db.close();
    await postgres.disposeAll();
  });

  const fold = async (fn: string, text: string) => (await sql<{ f: string }>`select ${sql.id(fn)}(${text}) as f`.execute(db.db)).rows[0]!.f;

  it('folds case and accents the same way with unaccent and with the built-in table, ICU or not', async () => {
    const unaccent = (await sql<{ schema: string }>`select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'unaccent'`.execute(db.db)).rows[0]?.schema ?? null;
    const icu = await hasIcu(db.db as never);
    const variants = [
      ['fold_table', { unaccentSchema: null, icu: false }],
      ['fold_table_icu', { unaccentSchema: null, icu }],
      ...(unaccent === null ? [] : [['fold_unaccent', { unaccentSchema: unaccent, icu }] as const]),
    ] as const;
    for (const [name, method] of variants) {
      await createFoldFunction(db.db as never, name, method);
      expect(await fold(name, 'Un Café CRÈME, Ñandú — Œuvre Øre Łódź ΣΊΣΥΦΟΣ'), name).toMatch(/^un cafe creme, nandu (—|-) (œ|oe)uvre (ø|o)re lodz σ(ί|ι)συφοσ$/);
      expect(await fold(name, 'σίσυφος'), name).toBe(await fold(name, 'ΣΊΣΥΦΟΣ'));
      expect(await fold(name, 'e\u0301te\u0301'), name).toBe('ete');
    }
  });

  it('answers words through the GIN index', async () => {
    await repository.index({ tweetId: '1', authorId: 'a', text: 'gin index probe', hashtags: [], createdAt: 1 });
    const plan = await db.db.transaction().execute(async (trx) => {
      // Tiny tables: without this the planner rightly scans; the point is that the index can serve.
      await sql`set local enable_seqscan = off`.execute(trx);
      const { rows } = await sql<{ 'QUERY PLAN': string }>`explain select doc_id from search_tweets_fts where tsv @@ plainto_tsquery('simple', search_fold(${'probe'}))`.execute(trx);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('search_tweets_fts_tsv_idx');
  });

  it('gives a score that does not move with the corpus, so a cursor stays exact', async () => {
    await repository.index({ tweetId: '10', authorId: 'a', text: 'stable quokka words here', hashtags: [], createdAt: 10 });
    const [before] = await repository.match(['quokka'], 5, Number.MAX_SAFE_INTEGER, null);
    for (let i = 0; i < 20; i++) await repository.index({ tweetId: String(100 + i), authorId: 'a', text: `quokka ${'filler '.repeat(i)}`, hashtags: [], createdAt: 100 + i });
    const all = await repository.match(['quokka'], 50, Number.MAX_SAFE_INTEGER, null);
    expect(all.find((h) => h.tweetId === '10')!.score).toBe(before!.score);
    // Resuming right after it finds exactly the ones ranked below it.
    const at = all.findIndex((h) => h.tweetId === '10');
    const rest = await repository.match(['quokka'], 50, Number.MAX_SAFE_INTEGER, before!);
    expect(rest.map((h) => h.tweetId)).toEqual(all.slice(at + 1).map((h) => h.tweetId));
  });
});
