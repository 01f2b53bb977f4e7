import type { Generated } from 'kysely';

/** Batches already stored: a redelivered batch finds its id here and changes nothing. */
export interface ClickBatchesTable {
  id: string;
  stored_at: number;
}

/** Raw clicks, as in the spec's `clicks` table; a click's identity is (batch_id, seq). */
export interface ClicksTable {
  id: Generated<number>;
  batch_id: string;
  seq: number;
  code: string;
  /** Epoch ms. */
  clicked_at: number;
  ip_address: string;
  user_agent: string;
  referrer: string;
  method: string;
  is_bot: number;
}

/**
 * The rollup: requests per code per hour per combination of referrer host, browser, OS and device,
 * human clicks, bots and HEAD requests apart. Series come from summing over the dimensions, top
 * referrers (etc.) from summing over the hours; a click costs one upsert, not one per view.
 */
export interface ClickRollupsTable {
  code: string;
  /** Epoch ms of the hour's start (UTC). */
  hour: number;
  referrer: string;
  browser: string;
  os: string;
  device: string;
  clicks: number;
  bots: number;
  heads: number;
}

export interface AnalyticsTables {
  click_batches: ClickBatchesTable;
  clicks: ClicksTable;
  click_rollups: ClickRollupsTable;
}
