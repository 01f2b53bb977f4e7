import { afterEach, beforeEach, expect, it } from 'vitest';
import { tablesOf, type SqlDatabase } from '../../platform/sql/index.js';
import { describeEachDialect } from '../../platform/sql/testing/test-databases.js';
import { analyticsMigrationsFor } from './analytics.migrations.js';
import { AnalyticsRepository, HOUR_MS, type EnrichedClick } from './analytics.repository.js';
import type { AnalyticsTables } from './analytics.tables.js';

// An hour far past 2^32 ms, as every real one is.
const T0 = Date.UTC(2026, 5, 1, 12);

function click(seq: number, more: Partial<EnrichedClick> = {}): EnrichedClick {
  return {
    seq, code: 'abc', at: T0 + seq, ip: '192.0.2.0', ua: 'Mozilla/5.0', ref: 'https://news.example/', head: false, bot: false,
    referrerHost: 'news.example', browser: 'Firefox', os: 'Linux', device: 'desktop', ...more,
  };
}

describeEachDialect('AnalyticsRepository', (dialect) => {
  let sql: SqlDatabase<AnalyticsTables>;
  let analytics: AnalyticsRepository;
  beforeEach(async () => {
    sql = tablesOf<AnalyticsTables>(await dialect.open());
    await sql.migrate(analyticsMigrationsFor(sql.dialect));
    analytics = new AnalyticsRepository(sql);
  });
  afterEach(() => sql.close());

  it('stores a batch once: raw clicks with generated ids, folded into the rollup; a redelivery changes nothing', async () => {
    const batch = [click(0), click(1), click(2, { bot: true }), click(3, { head: true }), click(4, { at: T0 + HOUR_MS, browser: 'Chrome' })];
    expect(await analytics.storeBatch('b1', T0, batch)).toBe(true);
    expect(await analytics.storeBatch('b1', T0, batch)).toBe(false);
    const raw = await sql.db.selectFrom('clicks').select(['id', 'seq', 'method', 'is_bot']).orderBy('id').execute();
    expect(raw.map((r) => [r.seq, r.method, r.is_bot])).toEqual([[0, 'GET', 0], [1, 'GET', 0], [2, 'GET', 1], [3, 'HEAD', 0], [4, 'GET', 0]]);
    expect(raw.every((r) => typeof r.id === 'number')).toBe(true);
    expect(await analytics.hourly('abc', T0, T0 + 2 * HOUR_MS)).toEqual([
      { hour: T0, clicks: 2, bots: 1, heads: 1 },
      { hour: T0 + HOUR_MS, clicks: 1, bots: 0, heads: 0 },
    ]);
    expect(await analytics.total('abc')).toBe(3);
    expect(await analytics.total('none')).toBe(0);
  });

  it('sums later batches into the same rollup rows, and ranks dimension values by human clicks', async () => {
    await analytics.storeBatch('b1', T0, [click(0), click(1, { referrerHost: 'direct' })]);
    await analytics.storeBatch('b2', T0, [click(0), click(1), click(2, { referrerHost: 'direct', bot: true }), click(3, { referrerHost: 'mail.example' })]);
    expect(await sql.db.selectFrom('click_rollups').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).toEqual({ n: 3 });
    expect(await analytics.topValues('abc', 'referrer', T0, T0 + HOUR_MS, 10)).toEqual([
      { value: 'news.example', clicks: 3 },
      { value: 'direct', clicks: 1 },
      { value: 'mail.example', clicks: 1 },
    ]);
    expect(await analytics.topValues('abc', 'referrer', T0, T0 + HOUR_MS, 1)).toEqual([{ value: 'news.example', clicks: 3 }]);
    expect(await analytics.topValues('abc', 'browser', T0 + HOUR_MS, T0 + 2 * HOUR_MS, 10)).toEqual([]);
  });
});
