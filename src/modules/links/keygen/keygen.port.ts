/** Which of the three key-generation strategies a generator implements. */
export type KeyStrategy = 'counter' | 'hash' | 'pool';

/** What the caller knows when it asks for a key. */
export interface KeyRequest {
  /** The long URL being shortened (only the hash strategy reads it). */
  url: string;
  /** 0 for the first try, +1 each time the caller found the previous key already taken. */
  attempt: number;
}

/**
 * Produces candidate short codes. A generator never promises global uniqueness on its own: the
 * caller inserts the code under a UNIQUE constraint and asks again on a clash
 * (see `allocateUniqueKey`). The counter and pool strategies ignore the request; hash uses it.
 */
export interface KeyGenerator {
  readonly strategy: KeyStrategy;
  next(input: KeyRequest): Promise<string>;
  /** Starts background work, if the strategy has any (the pool's refill). */
  start?(): void;
  /** Stops background work and waits for what is in flight. */
  stop?(): Promise<void>;
}
