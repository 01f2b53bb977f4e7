import { sql as rawSql } from 'kysely';
import { BulkInsert, type SqlDatabase } from '../../platform/sql/index.js';
import type { AnalyticsTables, ClickRollupsTable, ClicksTable } from './analytics.tables.js';

/** A click ready to store: raw fields plus what enrichment derived. */
export interface EnrichedClick {
  seq: number;
  code: string;
  at: number;
  ip: string;
  ua: string;
  ref: string;
  head: boolean;
  bot: boolean;
  referrerHost: string;
  browser: string;
  os: string;
  device: string;
}

export interface CountRow {
  value: string;
  clicks: number;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

type ClickRow = Omit<ClicksTable, 'id'>;
const CLICK_COLUMNS: (keyof ClickRow)[] = ['batch_id', 'seq', 'code', 'clicked_at', 'ip_address', 'user_agent', 'referrer', 'method', 'is_bot'];
const ROLLUP_KEY = ['code', 'hour', 'referrer', 'browser', 'os', 'device'] as const;
const ROLLUP_COLUMNS: (keyof ClickRollupsTable)[] = [...ROLLUP_KEY, 'clicks', 'bots', 'heads'];
const sum = (column: string) => rawSql<number>`${rawSql.ref(`click_rollups.${column}`)} + ${rawSql.ref(`excluded.${column}`)}`;
export type Dimension = 'referrer' | 'browser' | 'os' | 'device';

/** The only code that queries the analytics tables. */
export class AnalyticsRepository {
  readonly #sql: SqlDatabase<AnalyticsTables>;
  readonly #clicks = new BulkInsert<ClickRow>('clicks', CLICK_COLUMNS);
  readonly #rollups = new BulkInsert<ClickRollupsTable>('click_rollups', ROLLUP_COLUMNS, {
    modify: (q) => q.onConflict((oc) => oc.columns([...ROLLUP_KEY]).doUpdateSet({ clicks: sum('clicks'), bots: sum('bots'), heads: sum('heads') })),
  });

  constructor(sql: SqlDatabase<AnalyticsTables>) {
    this.#sql = sql;
  }

  /**
   * Stores a batch's raw clicks and folds them into the rollup, in one transaction, unless the
   * batch was stored before (a redelivery): then nothing changes. Returns whether it was new.
   */
  async storeBatch(batchId: string, at: number, clicks: readonly EnrichedClick[]): Promise<boolean> {
    return this.#sql.db.transaction().execute(async (trx) => {
      const fresh = await trx.insertInto('click_batches').values({ id: batchId, stored_at: at }).onConflict((oc) => oc.column('id').doNothing()).returning('id').executeTakeFirst();
      if (fresh === undefined) return false;
      await this.#clicks.insert(trx, clicks.map((c) => [batchId, c.seq, c.code, c.at, c.ip, c.ua, c.ref, c.head ? 'HEAD' : 'GET', c.bot ? 1 : 0]));
      await this.#rollups.insert(trx, fold(clicks));
      return true;
    });
  }

  /** Counts per hour of a code in [from, to), summed over the dimensions. */
  async hourly(code: string, from: number, to: number): Promise<{ hour: number; clicks: number; bots: number; heads: number }[]> {
    const rows = await this.#sql.db
      .selectFrom('click_rollups')
      .select((eb) => ['hour', eb.fn.sum<number>('clicks').as('clicks'), eb.fn.sum<number>('bots').as('bots'), eb.fn.sum<number>('heads').as('heads')])
      .where('code', '=', code)
      .where('hour', '>=', from)
      .where('hour', '<', to)
      .groupBy('hour')
      .orderBy('hour')
      .execute();
    return rows.map((r) => ({ hour: Number(r.hour), clicks: Number(r.clicks), bots: Number(r.bots), heads: Number(r.heads) }));
  }

  /** The values of one dimension with the most human clicks of a code in [from, to). */
  async topValues(code: string, dimension: Dimension, from: number, to: number, limit: number): Promise<CountRow[]> {
    const rows = await this.#sql.db
      .selectFrom('click_rollups')
      .select((eb) => [eb.ref(dimension).as('value'), eb.fn.sum<number>('clicks').as('clicks')])
      .where('code', '=', code)
      .where('hour', '>=', from)
      .where('hour', '<', to)
      .groupBy(dimension)
      .having((eb) => eb.fn.sum('clicks'), '>', 0)
      .orderBy('clicks', 'desc')
      .orderBy('value')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ value: String(r.value), clicks: Number(r.clicks) }));
  }

  /** Human clicks of a code over all time. */
  async total(code: string): Promise<number> {
    const row = await this.#sql.db
      .selectFrom('click_rollups')
      .select((eb) => eb.fn.sum<number>('clicks').as('clicks'))
      .where('code', '=', code)
      .executeTakeFirst();
    return Number(row?.clicks ?? 0);
  }
}

/** Folds clicks into rollup rows (values in ROLLUP_COLUMNS order), one per distinct key. */
function fold(clicks: readonly EnrichedClick[]): unknown[][] {
  const rows = new Map<string, [string, number, string, string, string, string, number, number, number]>();
  for (const c of clicks) {
    const hour = c.at - (c.at % HOUR_MS);
    const key = `${c.code}\u0000${hour}\u0000${c.referrerHost}\u0000${c.browser}\u0000${c.os}\u0000${c.device}`;
    let row = rows.get(key);
    if (row === undefined) rows.set(key, (row = [c.code, hour, c.referrerHost, c.browser, c.os, c.device, 0, 0, 0]));
    if (c.bot) row[7]++;
    else if (c.head) row[8]++;
    else row[6]++;
  }
  return [...rows.values()];
}
