import { systemClock, type Clock } from '../../clock/clock.port.js';
import { ValidationError } from '../../../shared/errors/index.js';
import { openSqlite } from '../../sql/sqlite/sqlite-database.js';
import { offThreadDurability, type WalCheckpointer } from '../../sql/sqlite/wal-checkpointer.js';
import type { WalSync } from '../../sql/sqlite/wal-sync.js';
import type {
  ConsumeOptions,
  DeadLetter,
  MessageHandler,
  PublishInput,
  QueuePort,
  QueueStats,
  Subscription,
} from '../queue.port.js';
import { SqliteConsumer } from './sqlite-queue.consumer.js';
import { QueueStore, type NewRow } from './sqlite-queue.store.js';
import { stopConsumers } from '../stop-consumers.js';

/** Configuration of the embedded queue. */
export interface SqliteQueueOptions {
  /** The queue's own SQLite file (e.g. `data/queue.db`), or ':memory:' (private to this instance). */
  filename: string;
  /** `full` survives power loss; `normal` (default) survives a process crash. */
  synchronous?: 'normal' | 'full';
  /** Time source for publish times, leases and backoff (default: the system clock). */
  clock?: Clock;
  /** How often idle consumers look for work published by other instances (default 100 ms). */
  pollIntervalMs?: number;
  /** A delivery not acknowledged within this becomes deliverable again (default 30 000 ms). */
  visibilityTimeoutMs?: number;
  /** Deliveries before a message is dead-lettered, unless a subscription overrides it (default 8). */
  maxAttempts?: number;
  /** Retry delay after attempt n: uniform in [0, min(capMs, baseMs * 2^(n-1))] ("full jitter"). */
  backoff?: { baseMs?: number; capMs?: number };
  /** Uniform in [0, 1), for the jitter; injectable for tests (default Math.random). */
  random?: () => number;
  /** How long close() waits for handlers in hand before abandoning them (default 10 000 ms). */
  closeTimeoutMs?: number;
  /** Told about storage errors met while polling or acknowledging; the queue retries on its own. */
  onError?: (error: unknown) => void;
}

/** Options of {@link SqliteQueue.close}. */
export interface SqliteQueueCloseOptions {
  /** Overrides `closeTimeoutMs`; 0 abandons handlers in hand at once, as a crash would. */
  timeoutMs?: number;
}

/** The AWS "full jitter" backoff: a uniform delay in [0, min(cap, base * 2^(attempt-1))] ms. */
export function fullJitterBackoff(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  // Exponent clamped: 2^1024 is Infinity, and 0 * Infinity would make the delay NaN.
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(0, attempt - 1), 52));
  return Math.round(random() * ceiling);
}

/**
 * The embedded durable queue: one SQLite file (WAL) shared by every instance and process that
 * opens it. Delivery is at-least-once: a claim leases a message for `visibilityTimeoutMs`, an ack
 * deletes it, a failure schedules a retry with backoff, and a lease that runs out (the consumer
 * died) makes it deliverable again. Messages of one key are handled one at a time, in order.
 * Its timers are unref'd, so it never keeps a process alive by itself: a worker-only process must
 * hold itself open (e.g. until SIGTERM) and then call close().
 */
export class SqliteQueue implements QueuePort {
  readonly #store: QueueStore;
  readonly #consumers = new Set<SqliteConsumer<never>>();
  readonly #pollIntervalMs: number;
  readonly #maxAttempts: number;
  readonly #closeTimeoutMs: number;
  readonly #retryDelayMs: (attempt: number) => number;
  readonly #report: (error: unknown) => void;
  /** `full` on a file: a publish is synced off the thread before it resolves, and the log checkpointed off it. */
  readonly #sync: WalSync | undefined;
  readonly #checkpointer: WalCheckpointer | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: SqliteQueueOptions) {
    this.#pollIntervalMs = positive(options.pollIntervalMs ?? 100, 'pollIntervalMs');
    this.#maxAttempts = positiveInteger(options.maxAttempts ?? 8, 'maxAttempts');
    this.#closeTimeoutMs = nonNegative(options.closeTimeoutMs ?? 10_000, 'closeTimeoutMs');
    const visibilityTimeoutMs = positive(options.visibilityTimeoutMs ?? 30_000, 'visibilityTimeoutMs');
    const baseMs = nonNegative(options.backoff?.baseMs ?? 500, 'backoff.baseMs');
    const capMs = nonNegative(options.backoff?.capMs ?? 300_000, 'backoff.capMs');
    const random = options.random ?? Math.random;
    this.#retryDelayMs = (attempt) => fullJitterBackoff(attempt, baseMs, capMs, random);
    const onError = options.onError;
    this.#report = (error) => {
      try {
        onError?.(error);
      } catch {
        // A throwing error callback must not break the polling loop.
      }
    };
    // `full` on a file: commits at NORMAL, and a publish resolves once the log is synced on the
    // thread pool (the durability of FULL without an fsync on the event loop per publish: the
    // redirects' click batches are published from the API thread). A claim or an ack left unsynced
    // by a power loss is redelivered, as a lease that ran out would be.
    const offThread = options.synchronous === 'full' && options.filename !== ':memory:';
    const db = openSqlite({ filename: options.filename, synchronous: offThread ? 'normal' : (options.synchronous ?? 'normal') });
    try {
      this.#store = new QueueStore(db, options.clock ?? systemClock, visibilityTimeoutMs);
    } catch (error) {
      db.close();
      throw error;
    }
    const durability = offThread ? offThreadDurability(db, options.filename) : undefined;
    this.#checkpointer = durability?.checkpointer;
    this.#sync = durability?.sync;
  }

  /** Log syncs made for publishes (`synchronous: 'full'` on a file); 0 otherwise. */
  get syncs(): number {
    return this.#sync?.syncs ?? 0;
  }

  async publish<T>(topic: string, messages: readonly PublishInput<T>[]): Promise<void> {
    this.#assertOpen();
    assertTopic(topic);
    if (messages.length === 0) return;
    const rows: NewRow[] = messages.map((m, i) => ({ key: m.key ?? null, payload: serialise(m.payload, i), traceparent: m.traceparent ?? null }));
    this.#store.insert(topic, rows);
    for (const consumer of this.#consumers) if (consumer.topic === topic) consumer.wake();
    await this.#sync?.sync();
  }

  consume<T>(topic: string, handler: MessageHandler<T>, options: ConsumeOptions = {}): Subscription {
    this.#assertOpen();
    assertTopic(topic);
    const consumer = new SqliteConsumer<T>(this.#store, handler, {
      topic,
      concurrency: positiveInteger(options.concurrency ?? 1, 'concurrency'),
      maxAttempts: positiveInteger(options.maxAttempts ?? this.#maxAttempts, 'maxAttempts'),
      pollIntervalMs: this.#pollIntervalMs,
      retryDelayMs: this.#retryDelayMs,
      report: this.#report,
    });
    // Stored type-erased: the set only drives wake() and stop(), which do not touch T.
    const erased = consumer as unknown as SqliteConsumer<never>;
    this.#consumers.add(erased);
    consumer.wake();
    return {
      stop: () => consumer.stop().finally(() => this.#consumers.delete(erased)),
    };
  }

  /** `ready` counts every message whose time has come, including ones queued behind their key. */
  async stats(topic: string): Promise<QueueStats> {
    this.#assertOpen();
    return this.#store.stats(topic);
  }

  async listDeadLetters<T = unknown>(
    topic: string,
    options: { limit?: number; after?: string } = {},
  ): Promise<DeadLetter<T>[]> {
    this.#assertOpen();
    const limit = Math.min(positiveInteger(options.limit ?? 100, 'limit'), 1000);
    const after = options.after === undefined ? 0 : parseId(options.after);
    // A cursor comes from clients (`?after=`): a bad one is their mistake, not ours.
    if (after === undefined) throw new ValidationError('after is not a dead-letter id of this queue', [{ field: '/after', message: 'not a dead-letter id' }], 'cursor_invalid');
    return this.#store.listDeadLetters(topic, limit, after) as DeadLetter<T>[];
  }

  async replayDeadLetters(topic: string, ids?: readonly string[]): Promise<number> {
    this.#assertOpen();
    // Replayed in id order so messages of one key go back in their original order; unknown ids are skipped.
    const numeric = ids && [...new Set(ids.map(parseId).filter((id) => id !== undefined))].sort((a, b) => a - b);
    const count = this.#store.replay(topic, numeric);
    if (count > 0) for (const consumer of this.#consumers) if (consumer.topic === topic) consumer.wake();
    return count;
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    this.#store.ping();
  }

  /**
   * Stops every subscription, waits up to the close timeout for handlers in hand, then closes the
   * file. Handlers still running after that are abandoned: their acks are dropped and their leases
   * expire, so the messages are redelivered elsewhere, exactly as if this process had crashed.
   */
  close(options: SqliteQueueCloseOptions = {}): Promise<void> {
    this.#closing ??= this.#shutdown(nonNegative(options.timeoutMs ?? this.#closeTimeoutMs, 'timeoutMs'));
    return this.#closing;
  }

  async #shutdown(timeoutMs: number): Promise<void> {
    await stopConsumers(this.#consumers, timeoutMs);
    await this.#checkpointer?.close();
    this.#store.close();
    await this.#sync?.close();
  }

  #assertOpen(): void {
    if (this.#closing) throw new Error('SqliteQueue is closed');
  }
}

function serialise(payload: unknown, index: number): string {
  const json = JSON.stringify(payload);
  if (json === undefined) throw new TypeError(`message ${index}: payload is not JSON-serialisable`);
  return json;
}

function parseId(id: string): number | undefined {
  return /^\d{1,15}$/.test(id) ? Number(id) : undefined;
}

function assertTopic(topic: string): void {
  if (typeof topic !== 'string' || topic.length === 0) throw new TypeError('topic must be a non-empty string');
}

function positive(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a positive number`);
  return value;
}

function nonNegative(value: number, name: string): number {
  if (!(value >= 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a non-negative number`);
  return value;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}
