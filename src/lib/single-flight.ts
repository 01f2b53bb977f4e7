/**
 * Collapses concurrent calls for the same key into one: the first caller runs `load`, later
 * callers until it settles share its promise. This is what keeps a cache stampede to one load.
 */
export class SingleFlight<K, V> {
  readonly #inFlight = new Map<K, Promise<V>>();

  /** Runs `load` for `key` unless a call for it is already running. */
  do(key: K, load: () => Promise<V>): Promise<V> {
    const running = this.#inFlight.get(key);
    if (running !== undefined) return running;
    const p = load().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, p);
    return p;
  }

  /** Calls in flight now. */
  get size(): number {
    return this.#inFlight.size;
  }
}
