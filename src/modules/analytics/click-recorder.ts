import type { QueuePort } from '../../platform/queue/index.js';
import type { IdGenerator } from '../../platform/ids/index.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Logger } from 'pino';
import type { ClickEvent, ClickSink } from '../links/index.js';
import { CLICKS_TOPIC, packClicks, type ClickBatch } from './click.model.js';

export interface ClickRecorderOptions {
  flushIntervalMs: number;
  batchSize: number;
  /** Clicks held at most while the queue is slow; beyond, new clicks are dropped and counted. */
  bufferLimit: number;
}

const MAX_UA = 512;
const MAX_REFERRER = 2048;

/**
 * The redirect path's side of analytics: `record` only pushes onto an array; a timer (or a full
 * batch) moves clicks to the durable queue, one message per batch; the batch id gives each click
 * an id, so a redelivered batch is never counted twice. What is lost on a crash is at most one flush interval.
 */
export class ClickRecorder implements ClickSink {
  readonly #queue: QueuePort;
  readonly #ids: IdGenerator;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  readonly #options: ClickRecorderOptions;
  #buffer: ClickEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
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
    if (this.#buffer.length >= this.#options.bufferLimit || this.#closed) {
      this.#metrics.clicksDropped.inc();
      return;
    }
    this.#buffer.push(click);
    this.#metrics.clicksBuffered.inc();
    // Flushes follow the timer: each is one durable commit (an fsync), however many batches it
    // carries. Only a burst that would hold too much in memory flushes early.
    if (this.#buffer.length === this.#flushEarlyAt) void this.flush();
  }

  /** Clicks waiting in memory. */
  get pending(): number {
    return this.#buffer.length;
  }

  /** Moves everything buffered to the queue. Flushes run one after another, in order. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushOnce());
    return this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    if (this.#buffer.length === 0) return;
    const taken = this.#buffer;
    this.#buffer = [];
    const messages: { key: null; payload: ClickBatch }[] = [];
    for (let i = 0; i < taken.length; i += this.#options.batchSize) {
      const part = taken.slice(i, i + this.#options.batchSize).map((c) => ({
        code: c.code,
        at: c.at,
        ip: c.ip,
        ua: (c.userAgent ?? '').slice(0, MAX_UA),
        ref: (c.referrer ?? '').slice(0, MAX_REFERRER),
        head: c.head,
      }));
      messages.push({ key: null, payload: packClicks(this.#ids.next().toString(), part) });
    }
    try {
      await this.#queue.publish(CLICKS_TOPIC, messages);
      this.#metrics.clicksFlushed.inc(taken.length);
    } catch (error) {
      // Keep them for the next flush (bounded by bufferLimit) rather than lose them.
      this.#log.warn({ err: error, clicks: taken.length }, 'click flush failed; will retry');
      const room = Math.max(0, this.#options.bufferLimit - this.#buffer.length);
      this.#metrics.clicksDropped.inc(Math.max(0, taken.length - room));
      this.#buffer = taken.slice(0, room).concat(this.#buffer);
    }
    this.#metrics.clicksPending.set(this.#buffer.length);
  }

  /** Stops the timer and flushes what is left; later clicks are dropped. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.flush();
  }
}
