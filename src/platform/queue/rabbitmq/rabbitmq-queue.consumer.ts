import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { MessageHandler, QueueMessage, Subscription } from '../queue.port.js';
import { withTimeout, type RabbitMqConnection } from './rabbitmq-connection.js';
import { attemptOf, errorText, publishOptions, readEnvelope, toQueueMessage, type Envelope } from './rabbitmq-queue.message.js';
import { retryQueueFor, type TopicQueues } from './rabbitmq-queue.topology.js';
import type { RabbitMqPublisher } from './rabbitmq-publisher.js';

/** How one subscription runs; resolved by the queue from its options and the ConsumeOptions. */
export interface ConsumerSettings {
  topic: string;
  queues: TopicQueues;
  concurrency: number;
  maxAttempts: number;
  retryDelayMs(attempt: number): number;
  publishTimeoutMs: number;
  /** Declares the topic's queues on this connection (cached per connection by the queue). */
  ensureTopology(model: ChannelModel): Promise<void>;
  /** Drops the cached declaration, so the next ensureTopology declares again. */
  forgetTopology(model: ChannelModel): void;
  /** Declares a retry bucket on the current connection (cached per connection; a failure is not cached). */
  ensureRetryQueue(queue: string): Promise<void>;
  /** Drops that cache entry (the bucket refused a publish: deleted meanwhile). */
  forgetRetryQueue(queue: string): void;
  /** Never throws. */
  report(error: unknown): void;
}

/** One channel's worth of deliveries: void once the channel is gone (the broker took them back). */
interface Session {
  readonly channel: Channel;
  live: boolean;
  workTag?: string;
}

interface Delivery {
  readonly session: Session;
  readonly raw: ConsumeMessage;
  readonly envelope: Envelope;
  readonly attempt: number;
  /** What serialises it: `k:<key>` for a keyed message, `id:<id>` otherwise (never two copies at once). */
  readonly lock: string;
  /** Acknowledged or handed back: a late confirm must not settle it again (the broker closes a channel for that). */
  settled?: boolean;
}

/** A lock is held while a handler runs, while a failed keyed message waits for its backoff, and until it comes back. */
type Lock = { state: 'running' | 'backoff' } | { state: 'awaiting'; id: string };

const REOPEN_DELAY_MS = 250;
const RETRY_OPEN_MS = 1_000;
/** Bound on a broker call while stopping: a connection that died silently never answers. */
const BROKER_CALL_MS = 2_000;
/** Bound on each step of opening a subscription (a first declaration of a topic takes up to ~1 s). */
const OPEN_MS = 15_000;

/**
 * One `consume()` subscription: one channel (prefetch = concurrency per consumer) consuming the
 * topic's work queue and every key shard. Keyed messages are serialised per key here as well
 * (a shard holds many keys): the first buffered message of an idle key runs, the others wait.
 *
 * A failed keyed message must keep its place ahead of its key, so it stays unacknowledged through
 * its backoff and is then rejected with requeue: a quorum queue puts returned messages first, the
 * broker counts the return (the attempt), and a crash meanwhile returns it in order too. A failed
 * unkeyed message frees its slot instead: a copy goes to a retry queue (TTL, then dead-lettered back
 * to the work queue) and the original is acknowledged once the copy is confirmed.
 */
export class RabbitMqConsumer<T> implements Subscription {
  readonly #connection: RabbitMqConnection;
  readonly #publisher: RabbitMqPublisher;
  readonly #handler: MessageHandler<T>;
  readonly #settings: ConsumerSettings;
  readonly #running = new Map<Delivery, Promise<void>>();
  readonly #backoffs = new Map<Delivery, NodeJS.Timeout>();
  readonly #transfers = new Set<Promise<void>>();
  readonly #locks = new Map<string, Lock>();
  readonly #unsubscribe: (() => void)[] = [];
  #buffer: Delivery[] = [];
  #session: Session | undefined;
  #opening = false;
  #stopping: Promise<void> | undefined;

  constructor(connection: RabbitMqConnection, publisher: RabbitMqPublisher, handler: MessageHandler<T>, settings: ConsumerSettings) {
    this.#connection = connection;
    this.#publisher = publisher;
    this.#handler = handler;
    this.#settings = settings;
  }

  get topic(): string {
    return this.#settings.topic;
  }

  /** Consumes on the current connection and on every new one. */
  start(): void {
    this.#unsubscribe.push(this.#connection.onUp((model) => void this.#open(model)));
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#drain();
    return this.#stopping;
  }

  /** What this subscription holds: delivered and unacknowledged, and waiting for a keyed backoff. */
  local(): { inFlight: number; delayed: number; oldestPublishedAt: number | undefined } {
    const current = (d: Delivery) => d.session === this.#session;
    const held = [...this.#buffer.filter(current), ...[...this.#running.keys()].filter(current)];
    const delayed = [...this.#backoffs.keys()].filter(current);
    let oldest: number | undefined;
    for (const d of [...held, ...delayed]) oldest = Math.min(oldest ?? d.envelope.publishedAt, d.envelope.publishedAt);
    return { inFlight: held.length, delayed: delayed.length, oldestPublishedAt: oldest };
  }

  /** Resolves when the copies being moved to a retry or dead-letter queue are confirmed (or failed). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#transfers]);
  }

  async #open(model: ChannelModel): Promise<void> {
    if (this.#stopping || this.#session || this.#opening) return;
    this.#opening = true;
    let channel: Channel | undefined;
    try {
      // Bounded: an open stuck on a connection that died silently would keep every later one out.
      channel = await withTimeout(model.createChannel(), OPEN_MS);
      const session: Session = { channel, live: true };
      channel.on('error', (error: unknown) => this.#settings.report(error));
      channel.on('close', () => this.#lost(session));
      await withTimeout(this.#settings.ensureTopology(model), OPEN_MS);
      await withTimeout(channel.prefetch(this.#settings.concurrency, false), OPEN_MS);
      if (this.#stopping) throw new Error('stopped while opening');
      this.#session = session;
      const { queues } = this.#settings;
      session.workTag = (await withTimeout(channel.consume(queues.work, (m) => this.#deliver(session, m, false)), OPEN_MS)).consumerTag;
      for (const shard of queues.shards) await withTimeout(channel.consume(shard, (m) => this.#deliver(session, m, true)), OPEN_MS);
    } catch (error) {
      await channel?.close().catch(() => undefined);
      if (this.#stopping) return;
      this.#settings.report(error);
      this.#settings.forgetTopology(model); // declared again on the next try (e.g. queues deleted)
      // e.g. a declaration refused: try again (reported each time) rather than stay silently idle.
      setTimeout(() => {
        const current = this.#connection.current;
        if (current) void this.#open(current);
      }, RETRY_OPEN_MS).unref();
    } finally {
      this.#opening = false;
    }
  }

  #lost(session: Session): void {
    session.live = false;
    if (session !== this.#session) return;
    this.#session = undefined;
    // The broker has taken back every unacknowledged delivery of this channel, in order.
    this.#buffer = [];
    for (const [d, timer] of this.#backoffs) {
      clearTimeout(timer);
      this.#backoffs.delete(d);
      this.#locks.delete(d.lock);
    }
    for (const [name, lock] of this.#locks) if (lock.state === 'awaiting') this.#locks.delete(name);
    // Handlers still running keep their locks: their redeliveries wait for them.
    if (this.#stopping) return;
    // A lost connection reopens through onUp; a channel closed on a live connection, here.
    setTimeout(() => {
      const model = this.#connection.current;
      if (model) void this.#open(model);
    }, REOPEN_DELAY_MS).unref();
  }

  #deliver(session: Session, raw: ConsumeMessage | null, fromShard: boolean): void {
    if (raw === null) {
      // Cancelled by the broker (queue deleted): start over, declaring the topology again.
      this.#settings.report(new Error(`consumer of ${this.#settings.topic} cancelled by the broker`));
      const model = this.#connection.current;
      if (model) this.#settings.forgetTopology(model);
      void session.channel.close().catch(() => undefined);
      return;
    }
    if (session !== this.#session) return;
    const envelope = readEnvelope(raw);
    const lock = fromShard && envelope.key !== null ? `k:${envelope.key}` : `id:${envelope.id}`;
    const delivery: Delivery = { session, raw, envelope, attempt: attemptOf(raw, envelope), lock };
    const held = this.#locks.get(lock);
    if (held?.state === 'awaiting' && held.id === envelope.id) {
      // The failed head of its key, back after its backoff: it goes before what queued behind it.
      this.#locks.delete(lock);
      this.#buffer.unshift(delivery);
    } else {
      this.#buffer.push(delivery);
    }
    this.#pump();
  }

  /**
   * Starts handlers while slots are free. Candidates are the first buffered message of each idle
   * lock (a key's first is its oldest: a shard is FIFO); among them the lowest id, i.e. the oldest
   * publish, goes first, so one consumer of several queues approaches publish order.
   */
  #pump(): void {
    if (this.#stopping) return;
    while (this.#running.size < this.#settings.concurrency) {
      const seen = new Set<string>();
      let pick = -1;
      for (let i = 0; i < this.#buffer.length; i++) {
        const d = this.#buffer[i] as Delivery;
        if (seen.has(d.lock)) continue;
        seen.add(d.lock);
        if (this.#locks.has(d.lock)) continue;
        if (pick === -1 || d.envelope.id < (this.#buffer[pick] as Delivery).envelope.id) pick = i;
      }
      if (pick === -1) return;
      const [d] = this.#buffer.splice(pick, 1) as [Delivery];
      this.#locks.set(d.lock, { state: 'running' });
      const task = this.#handle(d).finally(() => {
        this.#running.delete(d);
        this.#pump();
      });
      this.#running.set(d, task);
    }
  }

  /** Runs the handler and settles the delivery; never rejects. */
  async #handle(d: Delivery): Promise<void> {
    const { maxAttempts, topic } = this.#settings;
    let failure: string | undefined;
    let poison = false;
    if (d.attempt > maxAttempts) {
      failure = `delivered ${d.attempt - 1} times without an acknowledgement (consumer crashed, hung or lost its connection)`;
    } else {
      let message: QueueMessage<T> | undefined;
      try {
        message = toQueueMessage<T>(topic, d.envelope, d.attempt);
      } catch (error) {
        // Another client's body that is not JSON: no retry will parse it.
        failure = `payload is not JSON: ${errorText(error)}`;
        poison = true;
      }
      if (message) {
        try {
          await this.#handler(message);
        } catch (error) {
          failure = errorText(error);
        }
      }
    }
    if (!this.#isCurrent(d)) {
      // Its channel is gone: the broker has taken it back and redelivers it (after this handler, as it holds the lock).
      this.#unlock(d);
      return;
    }
    try {
      if (failure === undefined) this.#ack(d);
      else if (poison || d.attempt >= maxAttempts) await this.#deadLetter(d, failure);
      else if (d.lock.startsWith('k:')) return this.#backoff(d);
      else await this.#retry(d, failure);
    } catch (error) {
      this.#settings.report(error);
      // The move failed (broker refused or timed out): hand the message back now rather than hold it
      // unacknowledged until the channel closes. Requeued, it comes again as a further attempt.
      if (this.#isCurrent(d) && !d.settled) {
        d.settled = true;
        try {
          d.session.channel.reject(d.raw, true);
        } catch (rejectError) {
          this.#settings.report(rejectError);
        }
      }
    }
    this.#unlock(d);
  }

  #deadLetter(d: Delivery, error: string): Promise<void> {
    const attempts = Math.min(d.attempt, this.#settings.maxAttempts);
    return this.#transfer(d, this.#settings.queues.dead, { ...d.envelope, attempts, error, failedAt: Date.now() });
  }

  async #retry(d: Delivery, error: string): Promise<void> {
    const delay = this.#settings.retryDelayMs(d.attempt);
    const queue = retryQueueFor(this.#settings.queues, delay);
    try {
      await this.#transfer(d, queue, { ...d.envelope, attempts: d.attempt, error }, String(delay), this.#settings.ensureRetryQueue(queue));
    } catch (failure) {
      this.#settings.forgetRetryQueue(queue);
      throw failure;
    }
  }

  /**
   * Publishes a copy elsewhere once `declared` resolved, then acknowledges the original; on failure
   * the broker redelivers it. Tracked from the start, so that stats never catch the message between
   * its declaration and its move.
   */
  async #transfer(d: Delivery, queue: string, envelope: Envelope, expiration?: string, declared: Promise<void> = Promise.resolve()): Promise<void> {
    const moving = declared.then(async () => {
      if (!this.#isCurrent(d)) return; // taken back by the broker already: it will come again
      const options = publishOptions(envelope, expiration === undefined ? {} : { expiration });
      await this.#publisher.send([{ queue, body: d.envelope.body, options }], this.#settings.publishTimeoutMs);
      this.#ack(d);
    });
    const tracked = moving.catch(() => undefined);
    this.#transfers.add(tracked);
    try {
      await moving;
    } finally {
      this.#transfers.delete(tracked);
    }
  }

  #backoff(d: Delivery): void {
    this.#locks.set(d.lock, { state: 'backoff' });
    const timer = setTimeout(() => {
      this.#backoffs.delete(d);
      if (!this.#isCurrent(d)) return;
      this.#locks.set(d.lock, { state: 'awaiting', id: d.envelope.id });
      try {
        d.session.channel.reject(d.raw, true); // reject, not nack: quorum queues count it as an attempt
      } catch (error) {
        this.#settings.report(error);
      }
    }, this.#settings.retryDelayMs(d.attempt));
    timer.unref();
    this.#backoffs.set(d, timer);
  }

  #ack(d: Delivery): void {
    if (!this.#isCurrent(d) || d.settled) return;
    d.settled = true;
    try {
      d.session.channel.ack(d.raw);
    } catch (error) {
      this.#settings.report(error); // the channel closed meanwhile: the broker redelivers it
    }
  }

  #unlock(d: Delivery): void {
    if (this.#locks.get(d.lock)?.state === 'running') this.#locks.delete(d.lock);
  }

  #isCurrent(d: Delivery): boolean {
    return d.session === this.#session && d.session.live;
  }

  async #drain(): Promise<void> {
    for (const off of this.#unsubscribe.splice(0)) off();
    const session = this.#session;
    if (session?.live) {
      // Unkeyed messages have no order to keep: stop taking them now and give back the buffered
      // ones (nack: on RabbitMQ 4 that does not count as an attempt). Shards stay subscribed until
      // the channel closes, so no other consumer becomes active for them while we hold a key.
      try {
        if (session.workTag) await withTimeout(session.channel.cancel(session.workTag), BROKER_CALL_MS);
        for (const d of this.#buffer.filter((b) => b.lock.startsWith('id:'))) session.channel.nack(d.raw, false, true);
        this.#buffer = this.#buffer.filter((b) => !b.lock.startsWith('id:'));
      } catch (error) {
        this.#settings.report(error);
      }
    }
    while (this.#running.size > 0) await Promise.allSettled([...this.#running.values()]);
    await this.settled();
    for (const timer of this.#backoffs.values()) clearTimeout(timer);
    // Closing returns what is still held (keyed messages behind a busy key, failed ones in backoff)
    // in order, and hands the shards to the next consumer in the same step.
    this.#session = undefined;
    if (session) {
      session.live = false;
      await withTimeout(session.channel.close(), BROKER_CALL_MS).catch(() => undefined);
    }
    this.#buffer = [];
    this.#backoffs.clear();
    this.#locks.clear();
  }
}
