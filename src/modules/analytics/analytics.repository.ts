import { sql as rawSql, type Kysely } from 'kysely';
import type { SqlDatabase } from '../../platform/sql/index.js';
import type { AnalyticsTables } from './analytics.tables.js';

/** A click ready to store: raw fields plus what enrichment derived. */
export interface EnrichedClick {
  id: string;
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
const INSERT_CHUNK = 200;

/** The only code that queries the analytics tables. */
export class AnalyticsRepository {
  readonly #sql: SqlDatabase<AnalyticsTables>;

  constructor(sql: SqlDatabase<AnalyticsTables>) {
    this.#sql = sql;
  }

  /**
   * Stores raw clicks and folds the ones not seen before into the rollups, in one transaction:
   * a batch delivered twice changes nothing the second time. Returns how many were new.
   */
  async storeBatch(clicks: readonly EnrichedClick[]): Promise<number> {
    return this.#sql.db.transaction().execute(async (trx) => {
      const fresh = new Set<string>();
      for (let i = 0; i < clicks.length; i += INSERT_CHUNK) {
        const rows = await trx
          .insertInto('clicks')
          .values(clicks.slice(i, i + INSERT_CHUNK).map((c) => ({
            id: c.id, code: c.code, clicked_at: c.at, ip_address: c.ip, user_agent: c.ua, referrer: c.ref, method: c.head ? 'HEAD' : 'GET', is_bot: c.bot ? 1 : 0,
          })))
          .onConflict((oc) => oc.column('id').doNothing())
          .returning('id')
          .execute();
        for (const r of rows) fresh.add(r.id);
      }
      if (fresh.size > 0) await this.#fold(trx, clicks.filter((c) => fresh.has(c.id)));
      return fresh.size;
    });
  }

  async #fold(trx: Kysely<AnalyticsTables>, clicks: readonly EnrichedClick[]): Promise<void> {
    const hourly = new Map<string, { code: string; hour: number; clicks: number; bots: number; heads: number }>();
    const dims = new Map<string, { code: string; day: number; dim: string; value: string; clicks: number }>();
    for (const c of clicks) {
      const hour = c.at - (c.at % HOUR_MS);
      const hk = `${c.code}\u0000${hour}`;
      let h = hourly.get(hk);
      if (h === undefined) hourly.set(hk, (h = { code: c.code, hour, clicks: 0, bots: 0, heads: 0 }));
      if (c.bot) h.bots++;
      else if (c.head) h.heads++;
      else {
        h.clicks++;
        const day = c.at - (c.at % DAY_MS);
        for (const [dim, value] of [['referrer', c.referrerHost], ['browser', c.browser], ['os', c.os], ['device', c.device]] as const) {
          const dk = `${c.code}\u0000${day}\u0000${dim}\u0000${value}`;
          const d = dims.get(dk);
          if (d === undefined) dims.set(dk, { code: c.code, day, dim, value, clicks: 1 });
          else d.clicks++;
        }
      }
    }
    const add = (table: string, column: string) => rawSql<number>`${rawSql.ref(`${table}.${column}`)} + ${rawSql.ref(`excluded.${column}`)}`;
    const hours = [...hourly.values()];
    for (let i = 0; i < hours.length; i += INSERT_CHUNK) {
      await trx
        .insertInto('click_counts_hourly')
        .values(hours.slice(i, i + INSERT_CHUNK))
        .onConflict((oc) => oc.columns(['code', 'hour']).doUpdateSet({
          clicks: add('click_counts_hourly', 'clicks'), bots: add('click_counts_hourly', 'bots'), heads: add('click_counts_hourly', 'heads'),
        }))
        .execute();
    }
    const dimRows = [...dims.values()];
    for (let i = 0; i < dimRows.length; i += INSERT_CHUNK) {
      await trx
        .insertInto('click_dims_daily')
        .values(dimRows.slice(i, i + INSERT_CHUNK))
        .onConflict((oc) => oc.columns(['code', 'day', 'dim', 'value']).doUpdateSet({ clicks: add('click_dims_daily', 'clicks') }))
        .execute();
    }
  }

  /** Hourly rows of a code in [from, to). */
  async hourly(code: string, from: number, to: number): Promise<{ hour: number; clicks: number; bots: number; heads: number }[]> {
    const rows = await this.#sql.db
      .selectFrom('click_counts_hourly')
      .select(['hour', 'clicks', 'bots', 'heads'])
      .where('code', '=', code)
      .where('hour', '>=', from)
      .where('hour', '<', to)
      .orderBy('hour')
      .execute();
    return rows.map((r) => ({ hour: Number(r.hour), clicks: Number(r.clicks), bots: Number(r.bots), heads: Number(r.heads) }));
  }

  /** Top values of each dimension for a code over the days in [from, to). */
  async topValues(code: string, from: number, to: number, limit: number): Promise<Record<string, CountRow[]>> {
    const rows = await this.#sql.db
      .selectFrom('click_dims_daily')
      .select(['dim', 'value', (eb) => eb.fn.sum<number>('clicks').as('clicks')])
      .where('code', '=', code)
      .where('day', '>=', from)
      .where('day', '<', to)
      .groupBy(['dim', 'value'])
      .execute();
    const out: Record<string, CountRow[]> = {};
    for (const r of rows) (out[r.dim] ??= []).push({ value: r.value, clicks: Number(r.clicks) });
    for (const k of Object.keys(out)) out[k] = out[k]!.sort((a, b) => b.clicks - a.clicks || a.value.localeCompare(b.value)).slice(0, limit);
    return out;
  }

  /** Human clicks of a code over all time. */
  async total(code: string): Promise<number> {
    const row = await this.#sql.db
      .selectFrom('click_counts_hourly')
      .select((eb) => eb.fn.sum<number>('clicks').as('clicks'))
      .where('code', '=', code)
      .executeTakeFirst();
    return Number(row?.clicks ?? 0);
  }
}
