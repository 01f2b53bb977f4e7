/**
 * Collapses concurrent calls for the same key into one: the first caller runs `load`, later
 * callers until it settles share its promise. This is what keeps a cache stampede to one load
 * per key in this process (N processes sharing a cache may still load a key N times).
 */
export class SingleFlight<K, V> {
  readonly #inFlight = new Map<K, Promise<V>>();

  /** Runs `load` for `key` unless a call for it is already running. */
  do(key: K, load: () => Promise<V>): Promise<V> {
    const running = this.#inFlight.get(key);
    if (running !== undefined) return running;
    const p: Promise<V> = load().finally(() => {
      // A forgotten call must not remove the one that replaced it.
      if (this.#inFlight.get(key) === p) this.#inFlight.delete(key);
    });
    this.#inFlight.set(key, p);
    return p;
  }

  /**
   * Lets the next call for `key` start a load of its own instead of joining the running one,
   * whose answer is known to be out of date (the key was written meanwhile). Its callers still
   * get that answer.
   */
  forget(key: K): void {
    this.#inFlight.delete(key);
  }

  /** Calls in flight now. */
  get size(): number {
    return this.#inFlight.size;
  }
}
