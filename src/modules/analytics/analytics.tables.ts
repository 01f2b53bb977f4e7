/** Raw clicks, as in the spec's `clicks` table, plus what enrichment derived. */
export interface ClicksTable {
  /** Snowflake id (decimal text) given when the click left the buffer: redelivery never counts twice. */
  id: string;
  code: string;
  /** Epoch ms. */
  clicked_at: number;
  ip_address: string;
  user_agent: string;
  referrer: string;
  method: string;
  is_bot: number;
}

/** Clicks per code per hour; bots and HEAD requests apart from human clicks. */
export interface ClickCountsHourlyTable {
  code: string;
  /** Epoch ms of the hour's start (UTC). */
  hour: number;
  clicks: number;
  bots: number;
  heads: number;
}

/** Human clicks per code per day per dimension value (referrer host, browser, os, device). */
export interface ClickDimsDailyTable {
  code: string;
  /** Epoch ms of the day's start (UTC). */
  day: number;
  dim: string;
  value: string;
  clicks: number;
}

export interface AnalyticsTables {
  clicks: ClicksTable;
  click_counts_hourly: ClickCountsHourlyTable;
  click_dims_daily: ClickDimsDailyTable;
}
