/**
 * A key-value cache with per-entry time-to-live. Values are JSON-serialisable and treated as
 * immutable by callers (the in-process adapter hands back the stored object itself).
 */
export interface CachePort {
  /** The value, or undefined when absent or expired. */
  get<T>(key: string): Promise<T | undefined>;
  /**
   * The value when this process holds it, without waiting; undefined otherwise (absent, expired,
   * or held only elsewhere). Only caches with process memory have it: a hot path answers from it
   * synchronously and takes `get` when it is undefined.
   */
  peek?<T>(key: string): T | undefined;
  /** Stores a value for `ttlMs` milliseconds. */
  set<T>(key: string, value: T, ttlMs: number): Promise<void>;
  /** Removes a key; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Throws when the cache cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
