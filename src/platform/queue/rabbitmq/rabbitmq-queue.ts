import type { Channel, ChannelModel } from 'amqplib';
import type {
  ConsumeOptions,
  DeadLetter,
  MessageHandler,
  PublishInput,
  QueuePort,
  QueueStats,
  Subscription,
} from '../queue.port.js';
import { RabbitMqConnection, type RabbitMqConnectionOptions } from './rabbitmq-connection.js';
import { RabbitMqConsumer } from './rabbitmq-queue.consumer.js';
import { browseDeadLetters } from './rabbitmq-queue.dead-letters.js';
import { fullJitterBackoff, newMessageId, publishOptions, readEnvelope, toDeadLetter } from './rabbitmq-queue.message.js';
import { declareRetry, declareTopic, retryCeilings, shardOf, topicQueues, type TopicQueues, type TopologySettings } from './rabbitmq-queue.topology.js';
import { RabbitMqPublisher, type Outgoing } from './rabbitmq-publisher.js';
import { stopConsumers } from '../stop-consumers.js';

/** Configuration of the RabbitMQ queue. */
export interface RabbitMqQueueOptions {
  /** AMQP_URL, e.g. `amqp://guest:guest@127.0.0.1:5672` (ignored when `connection` is given). */
  url?: string;
  /** A connection to share (e.g. with the RPC client); the queue then does not close it. */
  connection?: RabbitMqConnection;
  /** Options of the connection the queue opens itself. */
  connectionOptions?: Omit<RabbitMqConnectionOptions, 'url'>;
  /** First part of every queue name (default `blueprint`): `<prefix>.<topic>...`. */
  prefix?: string;
  /** Queues that keyed messages are spread over (default 8). Fixed once a topic exists: keys would move. */
  shards?: number;
  /** Deliveries before a message is dead-lettered, unless a subscription overrides it (default 8). */
  maxAttempts?: number;
  /** Broker-side guard (x-delivery-limit, default 100): must exceed every subscription's maxAttempts. */
  deliveryLimit?: number;
  /** Retry delay after attempt n: uniform in [0, min(capMs, baseMs * 2^(n-1))] (full jitter). */
  backoff?: { baseMs?: number; capMs?: number };
  /** Uniform in [0, 1), for the jitter; injectable for tests (default Math.random). */
  random?: () => number;
  /** How long publish() waits for a connection (and resends across a reconnect) before rejecting (default 10 000 ms). */
  publishTimeoutMs?: number;
  /** How long close() waits for handlers in hand before abandoning them (default 10 000 ms). */
  closeTimeoutMs?: number;
  /** Dead letters read at most by one list or replay (default 10 000). */
  maxDeadLetterScan?: number;
  /** Told about broker errors met while consuming or reconnecting; the queue recovers on its own. */
  onError?: (error: unknown) => void;
}

/** Options of {@link RabbitMqQueue.close}. */
export interface RabbitMqQueueCloseOptions {
  /** Overrides `closeTimeoutMs`; 0 abandons handlers in hand at once, as a crash would. */
  timeoutMs?: number;
}

/**
 * The queue port on RabbitMQ (quorum queues): publisher confirms, persistent messages, manual
 * acknowledgements, competing consumers with prefetch = concurrency, per-key order through key
 * shards with a single active consumer, retries with exponential backoff and full jitter, a
 * dead-letter queue per topic, and a connection that comes back by itself. See the topology in
 * rabbitmq-queue.topology.ts, and README.md in this folder for what it cannot do
 * like the embedded queue (no order across keys, stats partly local).
 */
export class RabbitMqQueue implements QueuePort {
  readonly #connection: RabbitMqConnection;
  readonly #ownsConnection: boolean;
  readonly #publisher: RabbitMqPublisher;
  readonly #topology: TopologySettings;
  readonly #declared = new WeakMap<ChannelModel, Map<string, Promise<void>>>();
  readonly #consumers = new Set<RabbitMqConsumer<never>>();
  readonly #maxAttempts: number;
  readonly #retryDelayMs: (attempt: number) => number;
  readonly #publishTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  readonly #maxScan: number;
  readonly #report: (error: unknown) => void;
  #closing: Promise<void> | undefined;

  constructor(options: RabbitMqQueueOptions) {
    const onError = options.onError;
    this.#report = (error) => {
      try {
        onError?.(error);
      } catch {
        // A throwing callback must not break consumption.
      }
    };
    this.#maxAttempts = positiveInteger(options.maxAttempts ?? 8, 'maxAttempts');
    const deliveryLimit = positiveInteger(options.deliveryLimit ?? 100, 'deliveryLimit');
    if (deliveryLimit <= this.#maxAttempts) throw new RangeError('deliveryLimit must exceed maxAttempts');
    const baseMs = nonNegative(options.backoff?.baseMs ?? 500, 'backoff.baseMs');
    const capMs = nonNegative(options.backoff?.capMs ?? 300_000, 'backoff.capMs');
    const random = options.random ?? Math.random;
    this.#retryDelayMs = (attempt) => fullJitterBackoff(attempt, baseMs, capMs, random);
    this.#publishTimeoutMs = nonNegative(options.publishTimeoutMs ?? 10_000, 'publishTimeoutMs');
    this.#closeTimeoutMs = nonNegative(options.closeTimeoutMs ?? 10_000, 'closeTimeoutMs');
    this.#maxScan = positiveInteger(options.maxDeadLetterScan ?? 10_000, 'maxDeadLetterScan');
    const prefix = options.prefix ?? 'blueprint';
    if (!/^[\w.-]{1,100}$/.test(prefix)) throw new TypeError('prefix must be 1-100 of [A-Za-z0-9_.-]');
    this.#topology = {
      prefix,
      shards: positiveInteger(options.shards ?? 8, 'shards'),
      retryCeilingsMs: retryCeilings(Math.max(capMs, 1)),
      deliveryLimit,
    };
    this.#ownsConnection = options.connection === undefined;
    if (options.connection) this.#connection = options.connection;
    else if (options.url) this.#connection = new RabbitMqConnection({ ...options.connectionOptions, url: options.url, onError: this.#report });
    else throw new TypeError('RabbitMqQueue needs a url or a connection');
    this.#publisher = new RabbitMqPublisher(this.#connection);
  }

  /** The connection in use (shared with an RPC client, or for tests that cut it). */
  get connection(): RabbitMqConnection {
    return this.#connection;
  }

  /** The names of a topic's queues. */
  queuesOf(topic: string): TopicQueues {
    assertTopic(topic);
    return topicQueues(this.#topology, topic);
  }

  /** Keyed messages go to their key's shard, the others to the work queue; confirmed before this resolves. */
  async publish<T>(topic: string, messages: readonly PublishInput<T>[]): Promise<void> {
    this.#assertOpen();
    const queues = this.queuesOf(topic);
    if (messages.length === 0) return;
    const now = Date.now();
    const outgoing: Outgoing[] = messages.map((m, i) => {
      const json = JSON.stringify(m.payload);
      if (json === undefined) throw new TypeError(`message ${i}: payload is not JSON-serialisable`);
      const key = m.key ?? null;
      const envelope = { id: newMessageId(now), key, body: Buffer.from(json, 'utf8'), publishedAt: now, attempts: 0, ...(m.traceparent ? { traceparent: m.traceparent } : {}) };
      return { queue: this.#destination(queues, key), body: envelope.body, options: publishOptions(envelope) };
    });
    const model = await this.#connection.ready(this.#publishTimeoutMs);
    await this.#ensureTopology(model, topic);
    await this.#publisher.send(outgoing, this.#publishTimeoutMs);
  }

  consume<T>(topic: string, handler: MessageHandler<T>, options: ConsumeOptions = {}): Subscription {
    this.#assertOpen();
    const queues = this.queuesOf(topic);
    const maxAttempts = positiveInteger(options.maxAttempts ?? this.#maxAttempts, 'maxAttempts');
    if (maxAttempts >= this.#topology.deliveryLimit) throw new RangeError('maxAttempts must stay below the queue deliveryLimit');
    const consumer = new RabbitMqConsumer<T>(this.#connection, this.#publisher, handler, {
      topic,
      queues,
      concurrency: positiveInteger(options.concurrency ?? 1, 'concurrency'),
      maxAttempts,
      retryDelayMs: this.#retryDelayMs,
      publishTimeoutMs: this.#publishTimeoutMs,
      ensureTopology: (model) => this.#ensureTopology(model, topic),
      forgetTopology: (model) => void this.#declared.get(model)?.delete(`topic:${topic}`),
      ensureRetryQueue: (queue) => this.#ensureRetryQueue(queues, queue),
      forgetRetryQueue: (queue) => void (this.#connection.current && this.#declared.get(this.#connection.current)?.delete(`retry:${queue}`)),
      report: this.#report,
    });
    const erased = consumer as unknown as RabbitMqConsumer<never>;
    this.#consumers.add(erased);
    consumer.start();
    return { stop: () => consumer.stop().finally(() => this.#consumers.delete(erased)) };
  }

  /**
   * `ready`, the broker's part of `delayed` (retry queues) and `deadLettered` are the broker's
   * counts. `inFlight`, keyed messages waiting for a backoff and `oldestAgeMs` are what this
   * instance's subscriptions hold: AMQP tells neither unacknowledged counts nor the age of a
   * message nobody took (reading it would be a delivery, counted as an attempt by quorum queues).
   */
  async stats(topic: string): Promise<QueueStats> {
    this.#assertOpen();
    const queues = this.queuesOf(topic);
    const model = await this.#connection.ready(this.#publishTimeoutMs);
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    let ready = 0;
    let delayed = 0;
    let deadLettered = 0;
    try {
      for (const queue of [queues.work, ...queues.shards]) ready += (await channel.checkQueue(queue)).messageCount;
      deadLettered = (await channel.checkQueue(queues.dead)).messageCount;
      await channel.close().catch(() => undefined);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      return { ready: 0, inFlight: 0, delayed: 0, deadLettered: 0, oldestAgeMs: 0 }; // never declared
    }
    delayed += await this.#countRetries(model, queues);
    const mine = [...this.#consumers].filter((c) => c.topic === topic);
    // A message being moved to a retry or dead-letter queue is counted once: after its move.
    await Promise.all(mine.map((c) => c.settled()));
    let inFlight = 0;
    let oldest: number | undefined;
    for (const consumer of mine) {
      const local = consumer.local();
      inFlight += local.inFlight;
      delayed += local.delayed;
      if (local.oldestPublishedAt !== undefined) oldest = Math.min(oldest ?? local.oldestPublishedAt, local.oldestPublishedAt);
    }
    const oldestAgeMs = oldest === undefined || ready + inFlight + delayed === 0 ? 0 : Math.max(1, Date.now() - oldest);
    return { ready, inFlight, delayed, deadLettered, oldestAgeMs };
  }

  async listDeadLetters<T = unknown>(topic: string, options: { limit?: number; after?: string } = {}): Promise<DeadLetter<T>[]> {
    this.#assertOpen();
    const queues = this.queuesOf(topic);
    const limit = Math.min(positiveInteger(options.limit ?? 100, 'limit'), 1000);
    const after = options.after ?? '';
    const model = await this.#connection.ready(this.#publishTimeoutMs);
    const all = await browseDeadLetters(model, queues, this.#maxScan, async ({ messages }) =>
      messages.map((m) => toDeadLetter<T>(topic, m, this.#topology.deliveryLimit)),
    );
    return (all ?? [])
      .filter((d) => d.id > after)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, limit);
  }

  /** Republishes in id order (a key's messages go back in their order) as new messages, attempt 1; unknown ids are skipped. */
  async replayDeadLetters(topic: string, ids?: readonly string[]): Promise<number> {
    this.#assertOpen();
    const queues = this.queuesOf(topic);
    const wanted = ids === undefined ? undefined : new Set(ids);
    const model = await this.#connection.ready(this.#publishTimeoutMs);
    const count = await browseDeadLetters(model, queues, this.#maxScan, async ({ messages, remove }) => {
      const chosen = messages
        .map((message) => ({ message, envelope: readEnvelope(message) }))
        .filter(({ envelope }) => wanted === undefined || wanted.has(envelope.id))
        .sort((a, b) => (a.envelope.id < b.envelope.id ? -1 : 1));
      if (chosen.length === 0) return 0;
      await this.#ensureTopology(model, topic);
      const now = Date.now();
      await this.#publisher.send(
        chosen.map(({ envelope }) => {
          const fresh = { id: newMessageId(now), key: envelope.key, body: envelope.body, publishedAt: now, attempts: 0, replayOf: envelope.id };
          return { queue: this.#destination(queues, envelope.key), body: envelope.body, options: publishOptions(fresh) };
        }),
        this.#publishTimeoutMs,
      );
      // Removed only once the copies are confirmed: a failure leaves them dead, never lost.
      for (const { message } of chosen) remove(message);
      return chosen.length;
    });
    return count ?? 0;
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    const model = await this.#connection.ready(Math.min(this.#publishTimeoutMs, 2_000));
    const channel = await model.createChannel();
    await channel.close();
  }

  /**
   * Stops every subscription, waits up to the close timeout for handlers in hand, then closes the
   * connection (if it is the queue's own). Handlers still running are abandoned: the broker takes
   * their messages back and redelivers them elsewhere, exactly as if this process had crashed.
   */
  close(options: RabbitMqQueueCloseOptions = {}): Promise<void> {
    this.#closing ??= this.#shutdown(nonNegative(options.timeoutMs ?? this.#closeTimeoutMs, 'timeoutMs'));
    return this.#closing;
  }

  async #shutdown(timeoutMs: number): Promise<void> {
    await stopConsumers(this.#consumers, timeoutMs);
    if (this.#ownsConnection) await this.#connection.close();
  }

  #destination(queues: TopicQueues, key: string | null): string {
    return key === null ? queues.work : (queues.shards[shardOf(key, this.#topology.shards)] as string);
  }

  /** Declares a topic's queues once per connection (again after a reconnect: the broker may be a new one). */
  #ensureTopology(model: ChannelModel, topic: string): Promise<void> {
    return this.#declareOnce(model, `topic:${topic}`, (channel) => declareTopic(channel, this.#topology, topicQueues(this.#topology, topic)));
  }

  /** Declares a retry bucket once per connection. */
  async #ensureRetryQueue(queues: TopicQueues, queue: string): Promise<void> {
    const model = await this.#connection.ready(this.#publishTimeoutMs);
    await this.#declareOnce(model, `retry:${queue}`, (channel) => declareRetry(channel, queues, queue));
  }

  /** Runs a declaration on a channel of its own, once per connection and name; a failed one is tried again next time. */
  #declareOnce(model: ChannelModel, name: string, declare: (channel: Channel) => Promise<void>): Promise<void> {
    let declared = this.#declared.get(model);
    if (!declared) this.#declared.set(model, (declared = new Map()));
    let declaring = declared.get(name);
    if (!declaring) {
      declaring = (async () => {
        const channel = await model.createChannel();
        channel.on('error', () => undefined);
        try {
          await declare(channel);
        } finally {
          await channel.close().catch(() => undefined);
        }
      })();
      const map = declared;
      declaring.catch(() => map.delete(name));
      declared.set(name, declaring);
    }
    return declaring;
  }

  /** Messages waiting in a topic's retry buckets; a bucket no retry has needed yet does not exist (a 404 closes the channel). */
  async #countRetries(model: ChannelModel, queues: TopicQueues): Promise<number> {
    let count = 0;
    let channel: Channel | undefined;
    try {
      for (const { queue } of queues.retries) {
        if (!channel) {
          channel = await model.createChannel();
          channel.on('error', () => undefined);
        }
        try {
          count += (await channel.checkQueue(queue)).messageCount;
        } catch (error) {
          if (!isNotFound(error)) throw error;
          channel = undefined;
        }
      }
    } finally {
      await channel?.close().catch(() => undefined);
    }
    return count;
  }

  #assertOpen(): void {
    if (this.#closing) throw new Error('RabbitMqQueue is closed');
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 404;
}

function assertTopic(topic: string): void {
  if (typeof topic !== 'string' || !/^[\w.:-]{1,150}$/.test(topic)) throw new TypeError('topic must be 1-150 of [A-Za-z0-9_.:-]');
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

function nonNegative(value: number, name: string): number {
  if (!(value >= 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a non-negative number`);
  return value;
}
