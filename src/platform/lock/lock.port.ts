/**
 * Distributed locks with leases and fencing tokens.
 *
 * A lock is a lease: it ends by itself after its TTL, so a holder that crashed never blocks the
 * others for long. But a holder can also stop without crashing (a GC pause, a swapped-out process,
 * a slow network) and resume after its lease ended and someone else took the lock: from its own
 * point of view it still holds it. No lock alone prevents that holder's late write. Fencing does:
 * every acquisition gets a number larger than any before it for that lock, the holder sends it
 * with each write, and the resource refuses a write numbered below the highest it has seen
 * (Kleppmann, "How to do distributed locking", 2016). A `FencedStore` is such a resource.
 */

/** One acquisition of a lock. */
export interface Lease {
  /** The lock's name. */
  readonly name: string;
  /** Random, unique to this acquisition: only its holder can release or extend the lock. */
  readonly token: string;
  /**
   * The fencing token: larger than that of every earlier acquisition of this lock, in every
   * process. A safe integer (counted one by one, it cannot reach 2^53).
   */
  readonly fence: number;
}

export interface LockPort {
  /**
   * Takes the lock for `ttlMs` milliseconds if nobody holds it, in one atomic step; undefined when
   * someone does. Never waits: callers retry as suits them.
   */
  tryAcquire(name: string, ttlMs: number): Promise<Lease | undefined>;
  /**
   * Gives the lock up if `lease` still holds it; false when it no longer does (it expired, and
   * perhaps someone else holds the lock now, whose lease this leaves alone).
   */
  release(lease: Lease): Promise<boolean>;
  /**
   * Makes the lock end `ttlMs` from now if `lease` still holds it; false when it no longer does.
   * Extending does not change the fence: the holder is the same.
   */
  extend(lease: Lease, ttlMs: number): Promise<boolean>;
  /** Throws when the lock service cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What a fenced resource holds: the value of the last accepted write and its fencing token. */
export interface FencedValue<T> {
  readonly value: T;
  readonly fence: number;
}

/**
 * A resource that checks fencing tokens: a write carrying a fence below the highest one accepted
 * for its resource is refused, checked and applied in one atomic step (a check followed by a
 * separate write would let a late holder slip in between). An equal fence is accepted: the same
 * holder writes several times. A SQL resource does the same with
 * `UPDATE ... SET value = ?, fence = ? WHERE id = ? AND fence <= ?`.
 */
export interface FencedStore {
  /** Stores `value` (JSON-serialisable) for `resource` unless a larger fence was accepted before; says which. */
  write<T>(resource: string, fence: number, value: T): Promise<boolean>;
  /** The last accepted write, or undefined when none was. */
  read<T>(resource: string): Promise<FencedValue<T> | undefined>;
  close(): Promise<void>;
}
