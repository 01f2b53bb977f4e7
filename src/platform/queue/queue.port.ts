/**
 * A durable message queue shaped for our use: topics, ordering keys, at-least-once delivery to
 * competing consumers, retries with backoff and a dead-letter store that can be listed and replayed.
 * The embedded adapter keeps it in SQLite; a broker adapter (RabbitMQ) implements the same contract.
 */

/** A message as a consumer sees it. */
export interface QueueMessage<T = unknown> {
  /** Queue-assigned id, unique within the topic. */
  readonly id: string;
  readonly topic: string;
  /** Ordering key: messages with the same key are handled one at a time, in publish order. */
  readonly key: string | null;
  readonly payload: T;
  /** 1 on the first delivery, then 2, 3... on redeliveries. */
  readonly attempt: number;
  /** When the message was published (epoch ms). */
  readonly publishedAt: number;
  /** W3C traceparent of the work that published it, when traced: the consumer's span continues that trace. */
  readonly traceparent: string | null;
}

/** One message to publish. `payload` must be JSON-serialisable. */
export interface PublishInput<T = unknown> {
  key?: string | null;
  payload: T;
  /** W3C traceparent to hand to the consumer (kept across retries; not kept by dead letters). */
  traceparent?: string | null;
}

/** Handles one message; resolving acknowledges it, throwing schedules a retry. */
export type MessageHandler<T = unknown> = (message: QueueMessage<T>) => Promise<void>;

/** Wraps a consumer's handler (the worker's yield to the API thread, waiting out outages). */
export type HandlerWrapper = <T>(handler: MessageHandler<T>) => MessageHandler<T>;

export interface ConsumeOptions {
  /** Messages handled at once by this subscription (default 1). */
  concurrency?: number;
  /** Deliveries before a message is dead-lettered (default from the queue's configuration). */
  maxAttempts?: number;
}

/** A running consumer. */
export interface Subscription {
  /** Stops taking messages and waits for the ones in hand to finish. */
  stop(): Promise<void>;
}

/** A point-in-time view of a topic, for metrics and the console. */
export interface QueueStats {
  /** Deliverable now. */
  ready: number;
  /** Delivered and not yet acknowledged. */
  inFlight: number;
  /** Waiting for a retry backoff to elapse. */
  delayed: number;
  deadLettered: number;
  /** Age of the oldest message not yet acknowledged (ms), 0 when empty: the consumer lag. */
  oldestAgeMs: number;
}

/** A message that exhausted its attempts. */
export interface DeadLetter<T = unknown> {
  readonly id: string;
  readonly topic: string;
  readonly key: string | null;
  readonly payload: T;
  readonly attempts: number;
  readonly lastError: string;
  readonly publishedAt: number;
  readonly failedAt: number;
}

export interface QueuePort {
  /** Publishes messages in order; resolves once they are durable. */
  publish<T>(topic: string, messages: readonly PublishInput<T>[]): Promise<void>;
  /** Starts a consumer. Several subscriptions (in this or other processes) compete for messages. */
  consume<T>(topic: string, handler: MessageHandler<T>, options?: ConsumeOptions): Subscription;
  /** Counts for a topic. */
  stats(topic: string): Promise<QueueStats>;
  /** Dead letters of a topic, oldest first, paginated by id. */
  listDeadLetters<T = unknown>(topic: string, options?: { limit?: number; after?: string }): Promise<DeadLetter<T>[]>;
  /** Puts dead letters back on their topic (all of the topic's when `ids` is omitted); returns how many. */
  replayDeadLetters(topic: string, ids?: readonly string[]): Promise<number>;
  /** Throws when the queue cannot be reached. */
  ping(): Promise<void>;
  /** Stops every subscription (waiting for handlers in hand) and releases resources. */
  close(): Promise<void>;
}
