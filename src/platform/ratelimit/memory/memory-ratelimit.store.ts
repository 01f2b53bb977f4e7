import { LRUCache } from 'lru-cache';
import { systemClock, type Clock } from '../../clock/index.js';
import { checkCost, checkNow, compileRule, ratelimitAlgorithms } from '../algorithms/index.js';
import type { RateLimitDecision, RateLimitRule, RateLimitStore } from '../ratelimit.port.js';

/** Options of the in-process store. */
export interface MemoryRateLimitStoreOptions {
  /** Time source (default: the system clock); tests pass a ManualClock. */
  clock?: Clock;
  /**
   * Keys kept per algorithm before the least recently used is forgotten (default 100,000). A
   * forgotten key starts afresh, as nginx drops its oldest node when its zone is full.
   */
  maxKeys?: number;
  /**
   * How long past its expiry an idle key may linger before a new key reaps it (default 60 s, as
   * nginx reaps only nodes idle for a minute): reaping a key that is still in use only makes it
   * come back at once, so a key must have been idle that long first.
   */
  idleGraceMs?: number;
}

/** One key's state and the time (clock ms) after which it no longer matters. */
interface Entry {
  s: unknown;
  exp: number;
}

/**
 * The embedded rate-limit store: every algorithm's state in bounded in-process LRUs, one per
 * algorithm so that two algorithms never read each other's state under one key.
 *
 * An entry is kept only while its state matters (until the bucket is full again, the window is
 * over...): past that a lookup treats it as absent, and each new key reaps up to two such idle
 * entries from the cold end of the LRU once they have been idle for `idleGraceMs`, as nginx's
 * limit_req does; `purgeExpired()` drops them all at once.
 * State is per process: behind several processes use the Redis store.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #clock: Clock;
  readonly #maxKeys: number;
  readonly #grace: number;
  readonly #tables: (LRUCache<string, Entry> | undefined)[] = ratelimitAlgorithms.map(() => undefined);

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#maxKeys = options.maxKeys ?? 100_000;
    this.#grace = options.idleGraceMs ?? 60_000;
    if (!Number.isInteger(this.#maxKeys) || this.#maxKeys < 1) throw new RangeError('maxKeys must be a positive integer');
    if (!(this.#grace >= 0)) throw new RangeError('idleGraceMs must be >= 0');
  }

  /**
   * The decision, synchronously: what `decide` resolves to, for callers on the hot path that
   * would rather not allocate a promise. Throws a RangeError on an invalid rule or cost.
   */
  decideSync(rule: RateLimitRule, key: string, cost = 1): RateLimitDecision {
    const compiled = compileRule(rule);
    cost = checkCost(cost);
    const now = checkNow(this.#clock.now());
    const table = this.#tables[compiled.index] ?? this.#table(compiled.index);
    const entry = table.get(key);
    const live = entry !== undefined && entry.exp > now;
    const step = compiled.algorithm.step(compiled.params, live ? entry.s : undefined, now, cost);
    if (step.next !== undefined) {
      if (entry !== undefined) {
        entry.s = step.next;
        entry.exp = now + step.ttlMs;
      } else {
        table.set(key, { s: step.next, exp: now + step.ttlMs });
        this.#reap(table, now);
      }
    } else if (entry !== undefined && !live) {
      table.delete(key);
    }
    return step.decision;
  }

  decide(rule: RateLimitRule, key: string, cost = 1): Promise<RateLimitDecision> {
    try {
      return Promise.resolve(this.decideSync(rule, key, cost));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Keys currently held, idle ones not yet reaped included. */
  get size(): number {
    let n = 0;
    for (const table of this.#tables) n += table?.size ?? 0;
    return n;
  }

  /** Forgets every idle key now (a full scan); for a periodic sweep if memory must drop early. */
  purgeExpired(): number {
    const now = this.#clock.now();
    let purged = 0;
    for (const table of this.#tables) {
      if (table === undefined) continue;
      const idle: string[] = [];
      table.forEach((entry, key) => {
        if (entry.exp <= now) idle.push(key);
      });
      for (const key of idle) table.delete(key);
      purged += idle.length;
    }
    return purged;
  }

  async ping(): Promise<void> {}

  /** Forgets every key. */
  async close(): Promise<void> {
    for (const table of this.#tables) table?.clear();
  }

  #table(index: number): LRUCache<string, Entry> {
    const table = new LRUCache<string, Entry>({ max: this.#maxKeys });
    this.#tables[index] = table;
    return table;
  }

  /** nginx's ngx_http_limit_req_expire(ctx, 1): look at the two coldest entries, drop those idle past the grace. */
  #reap(table: LRUCache<string, Entry>, now: number): void {
    let looked = 0;
    let idle1: string | undefined;
    let idle2: string | undefined;
    for (const key of table.rkeys()) {
      const entry = table.peek(key);
      if (entry === undefined || entry.exp + this.#grace > now || ++looked > 2) break;
      if (idle1 === undefined) idle1 = key;
      else idle2 = key;
    }
    if (idle1 !== undefined) table.delete(idle1);
    if (idle2 !== undefined) table.delete(idle2);
  }
}
