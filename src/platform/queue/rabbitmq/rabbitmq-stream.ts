import type { Channel, ConsumeMessage } from 'amqplib';
import type { Subscription } from '../queue.port.js';
import type { RabbitMqConnection } from './rabbitmq-connection.js';
import { RabbitMqPublisher } from './rabbitmq-publisher.js';

/** Where a reader starts: an offset, the first or last retained record, only new ones, or a time. */
export type StreamStart = number | 'first' | 'last' | 'next' | Date;

/** One record of a stream, with its offset: a reader that stores the offset can resume or replay from it. */
export interface StreamRecord<T> {
  readonly offset: number;
  readonly payload: T;
  readonly appendedAt: number;
}

/** Options of {@link RabbitMqEventStream}. */
export interface RabbitMqEventStreamOptions {
  /** The stream's queue name, e.g. `blueprint.clicks.stream`. */
  name: string;
  /** Retention: records older than this are dropped segment by segment (default `7D`; RabbitMQ's Y/M/D/h/m/s units). */
  maxAge?: string;
  /** Retention by size (default 5 GB). */
  maxLengthBytes?: number;
  /** How long append() waits for a connection and confirms (default 10 000 ms). */
  appendTimeoutMs?: number;
  onError?: (error: unknown) => void;
}

/**
 * An append-only log on a RabbitMQ stream queue (x-queue-type: stream, core since 3.9, no plugin
 * over AMQP 0-9-1): reading does not remove anything, so any number of readers (analytics, a
 * backfill, an audit) each read the whole history at their own pace and can start again from any
 * retained offset, which a work queue cannot do. Meant for click events, whose consumers are
 * idempotent per batch. Readers keep their own offsets; after a lost connection a reader resumes
 * after the last offset it handled.
 */
export class RabbitMqEventStream {
  readonly #connection: RabbitMqConnection;
  readonly #publisher: RabbitMqPublisher;
  readonly #options: Required<Omit<RabbitMqEventStreamOptions, 'onError'>>;
  readonly #report: (error: unknown) => void;
  #declared: Promise<void> | undefined;

  constructor(connection: RabbitMqConnection, options: RabbitMqEventStreamOptions) {
    this.#connection = connection;
    this.#publisher = new RabbitMqPublisher(connection);
    this.#options = { maxAge: '7D', maxLengthBytes: 5e9, appendTimeoutMs: 10_000, ...options };
    const onError = options.onError;
    this.#report = (error) => {
      try {
        onError?.(error);
      } catch {
        // ignored: reporting must not break reading
      }
    };
  }

  /** Appends in order; resolves once the broker confirmed every record (written by a majority of replicas). */
  async append<T>(payloads: readonly T[]): Promise<void> {
    if (payloads.length === 0) return;
    await this.#declare();
    const appendedAt = Date.now();
    await this.#publisher.send(
      payloads.map((payload, i) => ({
        queue: this.#options.name,
        body: Buffer.from(JSON.stringify(payload), 'utf8'),
        options: { persistent: true, mandatory: true, contentType: 'application/json', messageId: `${appendedAt}-${i}`, headers: { 'x-bp-appended-at': appendedAt } },
      })),
      this.#options.appendTimeoutMs,
    );
  }

  /**
   * Reads from `start` until stopped, one record at a time in offset order (the handler resolves
   * before the next one is given). A handler that throws is reported and the reader stops at that
   * record: a log has no per-record retry; start again from `record.offset` once fixed.
   */
  read<T>(start: StreamStart, handler: (record: StreamRecord<T>) => Promise<void>, options: { prefetch?: number } = {}): Subscription {
    let next: StreamStart = start;
    let channel: Channel | undefined;
    let stopped = false;
    let chain = Promise.resolve();
    const open = async (): Promise<void> => {
      if (stopped) return;
      try {
        const model = await this.#connection.ready(this.#options.appendTimeoutMs);
        await this.#declare();
        const ch = await model.createChannel();
        ch.on('error', (error: unknown) => this.#report(error));
        channel = ch;
        await ch.prefetch(options.prefetch ?? 100); // a stream consumer must set one
        await ch.consume(
          this.#options.name,
          (m) => {
            if (!m) return;
            chain = chain.then(() => deliver(ch, m));
          },
          { noAck: false, arguments: { 'x-stream-offset': offsetArgument(next) } },
        );
      } catch (error) {
        this.#report(error);
      }
    };
    const deliver = async (ch: Channel, m: ConsumeMessage): Promise<void> => {
      if (stopped || ch !== channel) return;
      const offset = Number(m.properties.headers?.['x-stream-offset']);
      try {
        await handler({
          offset,
          payload: JSON.parse(m.content.toString('utf8')) as T,
          appendedAt: Number(m.properties.headers?.['x-bp-appended-at'] ?? 0),
        });
        next = offset + 1;
      } catch (error) {
        this.#report(error);
        stopped = true;
        await ch.close().catch(() => undefined);
        return;
      }
      try {
        ch.ack(m); // credit for the next record; nothing is removed from a stream
      } catch {
        // The channel is gone: the reader resumes from `next` on the next connection.
      }
    };
    const offUp = this.#connection.onUp(() => void open());
    const offDown = this.#connection.onDown(() => {
      channel = undefined;
      chain = Promise.resolve();
    });
    return {
      stop: async () => {
        stopped = true;
        offUp();
        offDown();
        await chain;
        await channel?.close().catch(() => undefined);
      },
    };
  }

  #declare(): Promise<void> {
    this.#declared ??= (async () => {
      const model = await this.#connection.ready(this.#options.appendTimeoutMs);
      const channel = await model.createChannel();
      channel.on('error', () => undefined);
      try {
        await channel.assertQueue(this.#options.name, {
          durable: true,
          arguments: { 'x-queue-type': 'stream', 'x-max-age': this.#options.maxAge, 'x-max-length-bytes': this.#options.maxLengthBytes },
        });
      } finally {
        await channel.close().catch(() => undefined);
      }
    })().catch((error: unknown) => {
      this.#declared = undefined;
      throw error;
    });
    return this.#declared;
  }
}

/** The consume argument for a start; a time goes as an AMQP timestamp (seconds). */
function offsetArgument(start: StreamStart): unknown {
  return start instanceof Date ? { '!': 'timestamp', value: Math.floor(start.getTime() / 1000) } : start;
}
