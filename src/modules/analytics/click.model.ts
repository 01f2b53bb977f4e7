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

const MAX_UA = 512;
const MAX_REFERRER = 2048;

/**
 * A batch being filled, click by click, straight into its columns: a buffered click is a few
 * array slots rather than an object that lives until the flush (a second's worth of those was
 * promoted out of the young generation and made the flush a pause of its own). User agents and
 * referrers are cut to their stored length once, when first seen in the batch.
 */
export class ClickBatchBuilder {
  #code: string[] = [];
  #at: number[] = [];
  #ip: string[] = [];
  #ua: number[] = [];
  #uas: string[] = [];
  #ref: number[] = [];
  #refs: string[] = [];
  #head: number[] = [];
  #uaIndex = new Map<string, number>();
  #refIndex = new Map<string, number>();

  get size(): number {
    return this.#code.length;
  }

  add(code: string, at: number, ip: string, ua: string, ref: string, head: boolean): void {
    let u = this.#uaIndex.get(ua);
    if (u === undefined) this.#uaIndex.set(ua, (u = this.#uas.push(ua.slice(0, MAX_UA)) - 1));
    let r = this.#refIndex.get(ref);
    if (r === undefined) this.#refIndex.set(ref, (r = this.#refs.push(ref.slice(0, MAX_REFERRER)) - 1));
    this.#code.push(code);
    this.#at.push(at);
    this.#ip.push(ip);
    this.#ua.push(u);
    this.#ref.push(r);
    this.#head.push(head ? 1 : 0);
  }

  /** The batch so far under this id; the builder is left empty. */
  take(batch: string): ClickBatch {
    const out: ClickBatch = { batch, code: this.#code, at: this.#at, ip: this.#ip, ua: this.#ua, uas: this.#uas, ref: this.#ref, refs: this.#refs, head: this.#head };
    this.#code = [];
    this.#at = [];
    this.#ip = [];
    this.#ua = [];
    this.#uas = [];
    this.#ref = [];
    this.#refs = [];
    this.#head = [];
    this.#uaIndex = new Map();
    this.#refIndex = new Map();
    return out;
  }
}

/** Packs clicks into a batch (see {@link ClickBatch}). */
export function packClicks(batch: string, clicks: readonly { code: string; at: number; ip: string; ua: string; ref: string; head: boolean }[]): ClickBatch {
  const builder = new ClickBatchBuilder();
  for (const c of clicks) builder.add(c.code, c.at, c.ip, c.ua, c.ref, c.head);
  return builder.take(batch);
}
