import type { MessageHandler, QueueMessage, Subscription } from '../queue.port.js';
import { MAX_ERROR_LENGTH, type ClaimedRow, type QueueStore } from './sqlite-queue.store.js';

/** Most rows taken by one claim: keeps each write transaction short when concurrency is large. */
const MAX_CLAIM_BATCH = 32;

/** How one subscription runs; resolved from the queue's options and the ConsumeOptions. */
export interface ConsumerSettings {
  topic: string;
  concurrency: number;
  maxAttempts: number;
  pollIntervalMs: number;
  /** Backoff before the next delivery after `attempt` failed. */
  retryDelayMs(attempt: number): number;
  /** Never throws (the queue wraps the user's callback). */
  report(error: unknown): void;
}

/**
 * One `consume()` subscription: a claim loop that keeps up to `concurrency` handlers busy.
 * Claims are driven by a single unref'd timer: at once after a publish in this process or a
 * handler finishing, else every `pollIntervalMs` (other processes publish without telling us).
 * Storage calls are synchronous, so a pump never interleaves with another one.
 */
export class SqliteConsumer<T> implements Subscription {
  readonly #store: QueueStore;
  readonly #handler: MessageHandler<T>;
  readonly #settings: ConsumerSettings;
  readonly #inHand = new Set<Promise<void>>();
  #cancelTimer: (() => void) | undefined;
  #timerDueAt = Number.POSITIVE_INFINITY;
  #stopping: Promise<void> | undefined;

  constructor(store: QueueStore, handler: MessageHandler<T>, settings: ConsumerSettings) {
    this.#store = store;
    this.#handler = handler;
    this.#settings = settings;
  }

  get topic(): string {
    return this.#settings.topic;
  }

  /** Claims as soon as possible (a local publish, a freed slot). */
  wake(): void {
    this.#schedule(0);
  }

  stop(): Promise<void> {
    if (!this.#stopping) {
      this.#cancelTimer?.();
      this.#cancelTimer = undefined;
      this.#stopping = this.#drain();
    }
    return this.#stopping;
  }

  async #drain(): Promise<void> {
    // No claims happen once stopping is set, so this set only shrinks.
    while (this.#inHand.size > 0) await Promise.allSettled([...this.#inHand]);
  }

  #schedule(delayMs: number): void {
    if (this.#stopping || this.#store.closed) return;
    const dueAt = Date.now() + delayMs;
    if (this.#cancelTimer && this.#timerDueAt <= dueAt) return;
    this.#cancelTimer?.();
    this.#timerDueAt = dueAt;
    const fire = (): void => {
      this.#cancelTimer = undefined;
      this.#timerDueAt = Number.POSITIVE_INFINITY;
      this.#pump();
    };
    // setImmediate for "now": setTimeout(0) waits >= 1 ms, which would cap a key's throughput
    // at ~1000 messages/s since each message of a key is claimed only after the previous ack.
    // It stays ref'd: libuv does not wake up for an unref'd immediate, which would then wait for
    // the next unrelated event. It holds the process for one turn only; polls are unref'd.
    if (delayMs <= 0) {
      const immediate = setImmediate(fire);
      this.#cancelTimer = () => clearImmediate(immediate);
    } else {
      const timeout = setTimeout(fire, delayMs).unref();
      this.#cancelTimer = () => clearTimeout(timeout);
    }
  }

  #pump(): void {
    if (this.#stopping || this.#store.closed) return;
    const free = this.#settings.concurrency - this.#inHand.size;
    // Every slot busy: the next handler to finish calls wake().
    if (free <= 0) return;
    const want = Math.min(free, MAX_CLAIM_BATCH);
    const { topic, maxAttempts, pollIntervalMs } = this.#settings;
    let rows: ClaimedRow[];
    let taken: number;
    try {
      if (!this.#store.hasClaimable(topic)) {
        this.#schedule(pollIntervalMs);
        return;
      }
      ({ delivered: rows, taken } = this.#store.claim(topic, want, maxAttempts));
    } catch (error) {
      // SQLITE_BUSY past the busy timeout, a closed or broken file...: try again at the next poll.
      this.#settings.report(error);
      this.#schedule(pollIntervalMs);
      return;
    }
    for (const row of rows) this.#dispatch(row);
    // A full batch suggests more is waiting; a short one means the topic is drained (or blocked
    // by key order / backoff) for now, so wait a poll interval rather than spin.
    if (taken < want) this.#schedule(pollIntervalMs);
    else if (this.#inHand.size < this.#settings.concurrency) this.#schedule(0);
  }

  #dispatch(row: ClaimedRow): void {
    const task = this.#handle(row).finally(() => {
      this.#inHand.delete(task);
      this.wake();
    });
    this.#inHand.add(task);
  }

  /** Runs the handler and records the outcome; never rejects. */
  async #handle(row: ClaimedRow): Promise<void> {
    try {
      await this.#handler(toMessage<T>(row));
    } catch (error) {
      this.#settle(() => this.#fail(row, error));
      return;
    }
    this.#settle(() => this.#store.ack(row));
  }

  #fail(row: ClaimedRow, error: unknown): void {
    const text = errorText(error);
    if (row.attempts >= this.#settings.maxAttempts) this.#store.deadLetter(row, text);
    else this.#store.release(row, this.#settings.retryDelayMs(row.attempts), text);
  }

  #settle(write: () => void): void {
    // Closed after giving up on this handler: its lease will expire and the message be redelivered.
    if (this.#store.closed) return;
    try {
      write();
    } catch (error) {
      // The lease will expire and the message be redelivered: at-least-once still holds.
      this.#settings.report(error);
    }
  }
}

function toMessage<T>(row: ClaimedRow): QueueMessage<T> {
  return {
    id: String(row.id),
    topic: row.topic,
    key: row.key,
    payload: JSON.parse(row.payload) as T,
    attempt: row.attempts,
    publishedAt: row.publishedAt,
    traceparent: row.traceparent,
  };
}

/** The error's message only (no stack: it is stored per message and shown to operators), bounded. */
export function errorText(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? error.message || error.name : String(error);
  } catch {
    text = 'unprintable error'; // e.g. a thrown object without a prototype
  }
  return text.length > MAX_ERROR_LENGTH ? text.slice(0, MAX_ERROR_LENGTH) : text;
}
