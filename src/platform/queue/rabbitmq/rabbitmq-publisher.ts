import type { ChannelModel, ConfirmChannel, Message, Options } from 'amqplib';
import { withTimeout, type RabbitMqConnection } from './rabbitmq-connection.js';

/** One message to send to a queue through the default exchange. */
export interface Outgoing {
  queue: string;
  body: Buffer;
  options: Options.Publish;
}

/** The broker refused a message (unroutable, or nacked e.g. on overflow): resending would not help. */
export class PublishRefusedError extends Error {}

/**
 * Publishes with publisher confirms on one confirm channel per connection: `send` resolves once
 * the broker confirmed every message, which for a quorum queue means a majority of its replicas
 * wrote it to disk. Messages are mandatory, so one that reaches no queue fails instead of
 * vanishing. If the connection drops before every confirm arrived, the unconfirmed tail is sent
 * again on the next connection (at-least-once: a message may then be stored twice, never lost),
 * until `timeoutMs` has passed, after which `send` rejects.
 */
export class RabbitMqPublisher {
  readonly #connection: RabbitMqConnection;
  #channel: Promise<ConfirmChannel> | undefined;
  #channelOf: ChannelModel | undefined;
  readonly #returned = new Set<string>();

  constructor(connection: RabbitMqConnection) {
    this.#connection = connection;
  }

  /** Sends in order; resolves when all are confirmed. */
  async send(messages: readonly Outgoing[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let from = 0;
    for (;;) {
      const model = await this.#connection.ready(Math.max(0, deadline - Date.now()));
      try {
        await this.#sendOnce(model, messages.slice(from), deadline);
        return;
      } catch (error) {
        if (error instanceof PublishRefusedError || this.#connection.closed) throw error;
        if (!(error instanceof ChannelLost)) throw error;
        // Resend from the first unconfirmed message, so the order of first copies is kept.
        from += error.confirmedPrefix;
        if (Date.now() >= deadline) throw new Error(`publish not confirmed within ${timeoutMs} ms: ${error.message}`);
      }
    }
  }

  async #sendOnce(model: ChannelModel, messages: readonly Outgoing[], deadline: number): Promise<number> {
    if (messages.length === 0) return 0;
    // Every wait on the broker ends by the deadline: a connection that died without closing
    // answers nothing, and a send that never settles would stall whoever publishes in order after it.
    const left = () => Math.max(1, deadline - Date.now());
    let channel: ConfirmChannel;
    try {
      channel = await withTimeout(this.#channelFor(model), left());
    } catch (error) {
      throw new ChannelLost(error, 0);
    }
    const outcomes: Promise<void>[] = [];
    let closedWhileSending = false;
    for (const message of messages) {
      const id = String(message.options.messageId ?? '');
      outcomes.push(
        new Promise<void>((resolve, reject) => {
          const sent = channel.sendToQueue(message.queue, message.body, message.options, (error: unknown) => {
            if (this.#returned.delete(id)) reject(new PublishRefusedError(`no queue ${message.queue} (not declared?)`));
            else if (error) reject(error instanceof Error ? error : new Error(String(error)));
            else resolve();
          });
          void sent;
        }),
      );
      // Respect the socket's back-pressure on large batches.
      if (outcomes.length % 256 === 0) await new Promise((resolve) => setImmediate(resolve));
      if (this.#channelOf !== model) {
        closedWhileSending = true;
        break;
      }
    }
    let results: PromiseSettledResult<void>[];
    try {
      results = await withTimeout(Promise.allSettled(outcomes), left());
    } catch (error) {
      // No confirm in time: drop the channel (its late confirms would be for a send already failed).
      if (this.#channelOf === model) {
        this.#channel = undefined;
        this.#channelOf = undefined;
      }
      void channel.close().catch(() => undefined);
      throw new ChannelLost(error, 0);
    }
    const firstFailure = results.findIndex((r) => r.status === 'rejected');
    if (firstFailure === -1 && !closedWhileSending) return messages.length;
    const failure = results[firstFailure];
    const reason: unknown = failure?.status === 'rejected' ? failure.reason : new Error('channel closed');
    if (reason instanceof PublishRefusedError) throw reason;
    // A broker nack (not a closed channel) is a refusal: e.g. a queue at its length limit.
    if (this.#channelOf === model && reason instanceof Error && /nack/i.test(reason.message)) throw new PublishRefusedError(reason.message);
    throw new ChannelLost(reason, firstFailure === -1 ? outcomes.length : firstFailure);
  }

  #channelFor(model: ChannelModel): Promise<ConfirmChannel> {
    if (this.#channelOf === model && this.#channel) return this.#channel;
    this.#channelOf = model;
    const opening = model.createConfirmChannel().then((channel) => {
      channel.on('error', () => undefined); // reported through close; a channel error must not throw
      channel.on('return', (message: Message) => this.#returned.add(String(message.properties.messageId ?? '')));
      channel.on('close', () => {
        if (this.#channel === opening) {
          this.#channel = undefined;
          this.#channelOf = undefined;
        }
      });
      return channel;
    });
    opening.catch(() => {
      if (this.#channel === opening) {
        this.#channel = undefined;
        this.#channelOf = undefined;
      }
    });
    this.#channel = opening;
    return opening;
  }
}

class ChannelLost extends Error {
  readonly confirmedPrefix: number;
  constructor(cause: unknown, confirmedPrefix: number) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.confirmedPrefix = confirmedPrefix;
  }
}
