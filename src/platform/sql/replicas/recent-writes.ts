export interface RecentWritesOptions {
  /** How long after a write its key counts as recent, in ms. */
  windowMs: number;
  /** Most keys remembered at once; the oldest write is forgotten first. */
  maxKeys: number;
}

/**
 * When each key (a user, a session) last wrote, for the keys that wrote within the window: a `Map`
 * kept in the order of the writes (a key that writes again moves to the end), so that expired
 * entries are always at the front and leave in O(1) each. At most `maxKeys` entries: past that the
 * oldest is evicted before its window ends, and then, rather than let its owner read stale data,
 * every key counts as recent until that window would have ended. The map is thus bounded and
 * never wrong, at the cost of sending keyed reads to the primary while it overflows.
 */
export class RecentWrites {
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #lastWrite = new Map<string, number>();
  #overflowUntil = Number.NEGATIVE_INFINITY;
  #evictions = 0;

  constructor(options: RecentWritesOptions) {
    if (!(options.windowMs >= 0)) throw new RangeError(`windowMs must be >= 0, got ${options.windowMs}`);
    if (!(Number.isInteger(options.maxKeys) && options.maxKeys >= 1)) throw new RangeError(`maxKeys must be an integer >= 1, got ${options.maxKeys}`);
    this.#windowMs = options.windowMs;
    this.#maxKeys = options.maxKeys;
  }

  /** Notes that `key` wrote at `now` (ms). */
  record(key: string, now: number): void {
    if (this.#windowMs === 0) return;
    this.#expire(now);
    this.#lastWrite.delete(key);
    this.#lastWrite.set(key, now);
    if (this.#lastWrite.size > this.#maxKeys) {
      const [oldest, at] = this.#lastWrite.entries().next().value as [string, number];
      this.#lastWrite.delete(oldest);
      this.#overflowUntil = Math.max(this.#overflowUntil, at + this.#windowMs);
      this.#evictions++;
    }
  }

  /** Whether `key` wrote less than the window ago (or may have: see the overflow above). */
  isRecent(key: string, now: number): boolean {
    if (this.#windowMs === 0) return false;
    if (now < this.#overflowUntil) return true;
    const at = this.#lastWrite.get(key);
    return at !== undefined && now - at < this.#windowMs;
  }

  /** Keys remembered now (some may have expired since the last write). */
  get size(): number {
    return this.#lastWrite.size;
  }

  /** Keys forgotten within their window because the map was full, since creation. */
  get evictions(): number {
    return this.#evictions;
  }

  #expire(now: number): void {
    for (const [key, at] of this.#lastWrite) {
      if (now - at < this.#windowMs) return;
      this.#lastWrite.delete(key);
    }
  }
}
