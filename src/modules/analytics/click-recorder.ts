import type { QueuePort } from '../../platform/queue/index.js';
import type { IdGenerator } from '../../platform/ids/index.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Logger } from 'pino';
import type { ClickEvent, ClickSink } from '../links/index.js';
import { CLICKS_TOPIC, ClickBatchBuilder, type ClickBatch } from './click.model.js';

export interface ClickRecorderOptions {
  flushIntervalMs: number;
  batchSize: number;
  /** Clicks held at most while the queue is slow; beyond, new clicks are dropped and counted. */
  bufferLimit: number;
}

/**
 * The redirect path's side of analytics: `record` only appends the click to the open batch's
 * columns (see ClickBatchBuilder). A batch goes to the durable queue as soon as it is full, and a
 * timer sends the open one: under load each publish is one batch's serialisation and insert, a
 * pause of a fraction of a millisecond, rather than a second's worth of batches at once (that
 * pause was the redirect's p99). Publishes made while one is under way go together in the next.
 * The batch id gives each click an id, so a redelivered batch is never counted twice. What is
 * lost on a crash is at most one flush interval.
 */
export class ClickRecorder implements ClickSink {
  readonly #queue: QueuePort;
  readonly #ids: IdGenerator;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  readonly #options: ClickRecorderOptions;
  #open = new ClickBatchBuilder();
  /** Full batches waiting for the next flush, and the clicks they hold. */
  #full: ClickBatch[] = [];
  #held = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  /** A flush is queued or under way: batches filled meanwhile wait for the next one, together. */
  #publishing = false;
  /** The last publish failed: full batches then wait for the timer, not for each other. */
  #failing = false;
  #closed = false;
  readonly #flushEarlyAt: number;

  constructor(queue: QueuePort, ids: IdGenerator, metrics: Metrics, log: Logger, options: ClickRecorderOptions) {
    this.#queue = queue;
    this.#ids = ids;
    this.#metrics = metrics;
    this.#log = log;
    this.#options = options;
    this.#flushEarlyAt = Math.max(1, Math.min(50_000, Math.floor(options.bufferLimit / 2)));
    this.#timer = setInterval(() => void this.flush(), options.flushIntervalMs);
    this.#timer.unref();
  }

  /** Buffers a click; never waits and never throws. */
  record(click: ClickEvent): void {
    const pending = this.#held + this.#open.size;
    if (pending >= this.#options.bufferLimit || this.#closed) {
      this.#metrics.clicksDropped.inc();
      return;
    }
    this.#open.add(click.code, click.at, click.ip, click.userAgent ?? '', click.referrer ?? '', click.head);
    this.#metrics.clicksBuffered.value++;
    if (this.#open.size >= this.#options.batchSize) {
      this.#setAside();
      if (!this.#publishing && !this.#failing) void this.#flush(false);
    } else if (pending + 1 === this.#flushEarlyAt) void this.flush();
  }

  /** Clicks waiting in memory. */
  get pending(): number {
    return this.#held + this.#open.size;
  }

  /** Moves everything buffered to the queue. Flushes run one after another, in order. */
  flush(): Promise<void> {
    return this.#flush(true);
  }

  /** A flush of the full batches, and of the open one when `open`. */
  #flush(open: boolean): Promise<void> {
    this.#publishing = true;
    const flushing = this.#flushing.then(() => this.#flushOnce(open));
    this.#flushing = flushing;
    const settled = () => {
      if (this.#flushing !== flushing) return;
      this.#publishing = false;
      // Batches that filled while this one was being published go now, together.
      if (this.#full.length > 0 && !this.#closed && !this.#failing) void this.#flush(false);
    };
    flushing.then(settled, settled);
    return flushing;
  }

  #setAside(): void {
    this.#held += this.#open.size;
    this.#full.push(this.#open.take(this.#ids.next().toString()));
  }

  async #flushOnce(open: boolean): Promise<void> {
    if (open && this.#open.size > 0) this.#setAside();
    if (this.#full.length === 0) return;
    const taken = this.#full;
    const clicks = this.#held;
    this.#full = [];
    this.#held = 0;
    try {
      await this.#queue.publish(
        CLICKS_TOPIC,
        taken.map((payload) => ({ key: null, payload })),
      );
      this.#metrics.clicksFlushed.inc(clicks);
      this.#failing = false;
    } catch (error) {
      this.#failing = true;
      // Keep them for the next flush (bounded by bufferLimit, oldest batches first) rather than lose them.
      this.#log.warn({ err: error, clicks }, 'click flush failed; will retry');
      let room = Math.max(0, this.#options.bufferLimit - this.pending);
      const kept = taken.filter((batch) => {
        const fits = batch.code.length <= room;
        if (fits) room -= batch.code.length;
        return fits;
      });
      const keptClicks = kept.reduce((n, batch) => n + batch.code.length, 0);
      this.#metrics.clicksDropped.inc(clicks - keptClicks);
      this.#full = kept.concat(this.#full);
      this.#held += keptClicks;
    }
    this.#metrics.clicksPending.set(this.pending);
  }

  /** Stops the timer and flushes what is left; later clicks are dropped. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.flush();
  }
}
