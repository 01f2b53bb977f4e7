/**
 * The payload of a message on the `clicks` topic: a batch of clicks in columns, user agents and
 * referrers stored once per batch (traffic repeats them), so a batch of a thousand clicks is a
 * few dozen kilobytes of JSON and a handful of allocations.
 */
export interface ClickBatch {
  /** Snowflake id of the batch: click i is (batch, i), the same on every redelivery. */
  batch: string;
  code: string[];
  at: number[];
  ip: string[];
  /** Index into `uas`. */
  ua: number[];
  uas: string[];
  /** Index into `refs`. */
  ref: number[];
  refs: string[];
  /** 1 for a HEAD request. */
  head: number[];
}

export const CLICKS_TOPIC = 'clicks';

/** Packs clicks into a batch (see {@link ClickBatch}). */
export function packClicks(batch: string, clicks: readonly { code: string; at: number; ip: string; ua: string; ref: string; head: boolean }[]): ClickBatch {
  const out: ClickBatch = { batch, code: [], at: [], ip: [], ua: [], uas: [], ref: [], refs: [], head: [] };
  const uaIndex = new Map<string, number>();
  const refIndex = new Map<string, number>();
  for (const c of clicks) {
    let u = uaIndex.get(c.ua);
    if (u === undefined) uaIndex.set(c.ua, (u = out.uas.push(c.ua) - 1));
    let r = refIndex.get(c.ref);
    if (r === undefined) refIndex.set(c.ref, (r = out.refs.push(c.ref) - 1));
    out.code.push(c.code);
    out.at.push(c.at);
    out.ip.push(c.ip);
    out.ua.push(u);
    out.ref.push(r);
    out.head.push(c.head ? 1 : 0);
  }
  return out;
}
