import { ServiceUnavailableError } from '../../../shared/errors/index.js';
import type { CachePort } from '../cache.port.js';
import { CacheAside, type SourceLoader } from './cache-aside.js';
import type { InvalidationBus } from './invalidation-bus.js';

/** Starts the periodic flush; injectable so tests decide when time passes. */
export interface FlushTimer {
  /** Calls `tick` every `everyMs` until the returned function is called. */
  start(tick: () => void, everyMs: number): () => void;
}

/** The real timer; it never keeps the process alive by itself. */
export const intervalTimer: FlushTimer = {
  start(tick, everyMs) {
    const timer = setInterval(tick, everyMs);
    timer.unref();
    return () => clearInterval(timer);
  },
};

export interface WriteBehindOptions<V> {
  cache: CachePort;
  prefix: string;
  ttlMs: number;
  /**
   * Writes a batch to the source: each key at most once, with its latest value. A failed batch is
   * offered again (with the same or newer values), so it must be idempotent, e.g. upserts.
   */
  writeBatch: (entries: readonly (readonly [key: string, value: V])[]) => Promise<void>;
  /** Reads a key that is neither waiting for the source nor cached; without it such reads give null. */
  load?: SourceLoader<V>;
  /** The longest a write waits in memory while the source is healthy. */
  flushIntervalMs: number;
  /** Keys per batch; this many waiting keys also start a flush before the interval ends. */
  maxBatchSize: number;
  /** Keys held while the source fails; beyond, writes of new keys are refused. Default 100 batches. */
  maxPending?: number;
  /** Flush rounds `close` tries before giving up on a failing source. Default 3. */
  closeAttempts?: number;
  /** Pause between those rounds. Default the flush interval, at most 1 s. */
  closeRetryDelayMs?: number;
  bus?: InvalidationBus;
  timer?: FlushTimer;
  /** Told about failed batches (which stay pending and are retried). */
  onError?: (error: unknown) => void;
}

/** Too many writes wait for a failing source: refused rather than held without bound. */
export class WriteBehindBacklogError extends ServiceUnavailableError {
  constructor(pending: number) {
    super(`${pending} writes are waiting for the source; try again later`, 'cache_backlog_full', 1);
  }
}

/** Writes that never reached the source because it kept failing until `close` gave up. */
export class WriteBehindFlushError extends ServiceUnavailableError {
  readonly lost: number;
  constructor(lost: number, cause: unknown) {
    super(`${lost} writes could not be written to the source before closing`, 'cache_flush_failed');
    this.lost = lost;
    this.cause = cause;
  }
}

/**
 * Write-behind (write-back): a write is acknowledged once it is in the cache and in this
 * instance's pending map; the source receives it later, in batches, every `flushIntervalMs` or as
 * soon as `maxBatchSize` keys wait. Writes to one key coalesce: the source receives its latest
 * value, never an older value after a newer one, even across failed and retried batches.
 * Batches run one at a time. Reads see the pending value first, so an evicted cache entry never
 * hides an unflushed write.
 *
 * Loss window: pending writes live in this process's memory (not in the cache), so a crash
 * (killed, no `close`) loses what was acknowledged since the last successful flush began: at most
 * `flushIntervalMs` of writes and `maxBatchSize` keys per batch not yet written while the source
 * is healthy; while it fails, everything since it started failing, at most `maxPending` keys.
 * `close` flushes everything, retrying, and says how many writes it could not save. Writes to one
 * key from several instances are not ordered with each other: give each key one writer.
 */
export class WriteBehind<V> {
  readonly #aside: CacheAside<V>;
  readonly #load: SourceLoader<V>;
  readonly #writeBatch: WriteBehindOptions<V>['writeBatch'];
  readonly #maxBatchSize: number;
  readonly #maxPending: number;
  readonly #closeAttempts: number;
  readonly #closeRetryDelayMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #stopTimer: () => void;
  /** Acknowledged, not yet offered to the source; Map order is the order keys were first written. */
  #pending = new Map<string, V>();
  /** Offered to the source by the running batch. */
  readonly #inFlight = new Map<string, V>();
  #flushing: Promise<void> = Promise.resolve();
  #flushQueued: Promise<void> | undefined;
  #lastError: unknown;
  #failing = false;
  #closing: Promise<void> | undefined;

  constructor(options: WriteBehindOptions<V>) {
    if (!(options.maxBatchSize >= 1)) throw new RangeError('maxBatchSize must be at least 1');
    this.#aside = new CacheAside<V>({ cache: options.cache, prefix: options.prefix, ttlMs: options.ttlMs, ...(options.bus ? { bus: options.bus } : {}) });
    this.#load = options.load ?? (async () => null);
    this.#writeBatch = options.writeBatch;
    this.#maxBatchSize = options.maxBatchSize;
    this.#maxPending = options.maxPending ?? options.maxBatchSize * 100;
    this.#closeAttempts = options.closeAttempts ?? 3;
    this.#closeRetryDelayMs = options.closeRetryDelayMs ?? Math.min(options.flushIntervalMs, 1_000);
    this.#onError = options.onError ?? (() => {});
    this.#stopTimer = (options.timer ?? intervalTimer).start(() => void this.flush(), options.flushIntervalMs);
  }

  /**
   * Writes `value`: resolves once the cache holds it; the source gets it at the next flush.
   * Rejects without writing when closed, or when the backlog is full and `key` is not already waiting.
   */
  async set(key: string, value: V): Promise<void> {
    if (this.#closing !== undefined) throw new Error('write-behind cache is closed');
    if (!this.#pending.has(key) && this.#pending.size >= this.#maxPending) throw new WriteBehindBacklogError(this.#pending.size);
    // Recorded before the cache write, in call order: the order the source will see.
    this.#pending.set(key, value);
    if (this.#pending.size >= this.#maxBatchSize && !this.#failing) void this.flush();
    await this.#aside.put(key, value);
  }

  /** The latest acknowledged value: pending, else cached, else loaded from the source. */
  async get(key: string): Promise<V | null> {
    const pending = this.#pending.get(key) ?? this.#inFlight.get(key);
    if (pending !== undefined) return pending;
    return this.#aside.get(key, this.#load);
  }

  /** Writes acknowledged and not yet confirmed by the source. */
  get pending(): number {
    return this.#pending.size + this.#inFlight.size;
  }

  /**
   * Offers everything pending now to the source, batch after batch; stops at the first failed
   * batch (its writes stay pending for the next flush). Never rejects.
   */
  flush(): Promise<void> {
    // A flush waiting for its turn will take whatever is pending when it runs: join it.
    if (this.#flushQueued !== undefined) return this.#flushQueued;
    const queued = this.#flushing.then(() => {
      this.#flushQueued = undefined;
      return this.#drain();
    });
    this.#flushQueued = queued;
    this.#flushing = queued;
    return queued;
  }

  /** Stops the timer, flushes everything (retrying), and rejects if some writes could not be saved. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stopTimer();
      for (let attempt = 1; attempt <= this.#closeAttempts; attempt++) {
        await this.flush();
        if (this.#pending.size === 0) break;
        if (attempt < this.#closeAttempts) await new Promise((r) => setTimeout(r, this.#closeRetryDelayMs));
      }
      this.#aside.close();
      if (this.#pending.size > 0) throw new WriteBehindFlushError(this.#pending.size, this.#lastError);
    })();
    return this.#closing;
  }

  async #drain(): Promise<void> {
    const batches = Math.ceil(this.#pending.size / this.#maxBatchSize);
    for (let i = 0; i < batches && this.#pending.size > 0; i++) {
      if (!(await this.#writeOneBatch())) return;
    }
  }

  async #writeOneBatch(): Promise<boolean> {
    const batch: [string, V][] = [];
    for (const entry of this.#pending) {
      batch.push(entry);
      if (batch.length === this.#maxBatchSize) break;
    }
    for (const [key, value] of batch) {
      this.#pending.delete(key);
      this.#inFlight.set(key, value);
    }
    try {
      await this.#writeBatch(batch);
      this.#failing = false;
      return true;
    } catch (error) {
      this.#failing = true;
      this.#lastError = error;
      this.#onError(error);
      // Back in front, under whatever was written meanwhile: a newer value of a key replaces the
      // failed one, an older one never comes back.
      const newer = this.#pending;
      this.#pending = new Map(batch);
      for (const [key, value] of newer) this.#pending.set(key, value);
      return false;
    } finally {
      for (const [key] of batch) this.#inFlight.delete(key);
    }
  }
}
