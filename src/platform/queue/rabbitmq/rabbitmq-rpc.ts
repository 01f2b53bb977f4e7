import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Subscription } from '../queue.port.js';
import type { RabbitMqConnection } from './rabbitmq-connection.js';
import { errorText } from './rabbitmq-queue.message.js';

/** Direct reply-to: the broker routes replies straight to the requesting channel, no reply queue. */
const REPLY_TO = 'amq.rabbitmq.reply-to';
const ERROR_HEADER = 'x-bp-rpc-error';

/** The server's handler threw (its message is carried back), or no reply came in time. */
export class RpcError extends Error {
  readonly remote: boolean;
  constructor(message: string, remote: boolean) {
    super(message);
    this.name = 'RpcError';
    this.remote = remote;
  }
}

/** Options of {@link RabbitMqRpc}. */
export interface RabbitMqRpcOptions {
  /** First part of request queue names (default `blueprint`): `<prefix>.rpc.<name>`. */
  prefix?: string;
  /** Default for request() (default 5 000 ms). */
  timeoutMs?: number;
  onError?: (error: unknown) => void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Request-reply over RabbitMQ: `request` publishes to `<prefix>.rpc.<name>` with a fresh
 * `correlation_id` and `reply_to` = direct reply-to, and waits for the reply with that id;
 * `serve` consumes the queue (competing servers, prefetch = concurrency) and publishes each
 * handler's result to the request's `reply_to`. A request expires in the queue with its timeout,
 * so a late server does not do work nobody waits for. A request in flight when the connection
 * drops fails (its reply channel is gone); the caller decides whether to retry.
 */
export class RabbitMqRpc {
  readonly #connection: RabbitMqConnection;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #report: (error: unknown) => void;
  readonly #pending = new Map<string, Pending>();
  readonly #servers = new Set<() => Promise<void>>();
  #replies: Promise<Channel> | undefined;
  #repliesOf: ChannelModel | undefined;
  readonly #offDown: () => void;
  #closed = false;

  constructor(connection: RabbitMqConnection, options: RabbitMqRpcOptions = {}) {
    this.#connection = connection;
    this.#prefix = options.prefix ?? 'blueprint';
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    const onError = options.onError;
    this.#report = (error) => {
      try {
        onError?.(error);
      } catch {
        // ignored: reporting must not break the client
      }
    };
    this.#offDown = connection.onDown(() => this.#failPending(new RpcError('connection lost before the reply', false)));
  }

  /** The queue requests to `name` go to. */
  queueOf(name: string): string {
    if (!/^[\w.:-]{1,150}$/.test(name)) throw new TypeError('rpc name must be 1-150 of [A-Za-z0-9_.:-]');
    return `${this.#prefix}.rpc.${name}`;
  }

  /** Sends `payload` to a server of `name` and resolves with its reply; rejects with RpcError on a remote error or timeout. */
  async request<Req, Res>(name: string, payload: Req, options: { timeoutMs?: number } = {}): Promise<Res> {
    if (this.#closed) throw new Error('RabbitMqRpc is closed');
    const queue = this.queueOf(name);
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const model = await this.#connection.ready(timeoutMs);
    const channel = await this.#replyChannel(model);
    const correlationId = randomUUID();
    const reply = new Promise<Res>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(correlationId);
        reject(new RpcError(`no reply from ${name} within ${timeoutMs} ms`, false));
      }, timeoutMs);
      this.#pending.set(correlationId, { resolve: resolve as (value: unknown) => void, reject, timer });
    });
    // Mandatory: with no queue (no server ever declared it) the broker returns it and we fail fast.
    channel.sendToQueue(queue, Buffer.from(JSON.stringify(payload) ?? 'null'), {
      correlationId,
      replyTo: REPLY_TO,
      contentType: 'application/json',
      expiration: String(timeoutMs),
      mandatory: true,
    });
    return reply;
  }

  /** Answers requests to `name` with `handler` until stopped. */
  serve<Req, Res>(name: string, handler: (payload: Req) => Promise<Res>, options: { concurrency?: number } = {}): Subscription {
    const queue = this.queueOf(name);
    const concurrency = options.concurrency ?? 1;
    let channel: Channel | undefined;
    let tag: string | undefined;
    let stopped = false;
    const inHand = new Set<Promise<void>>();
    const open = async (model: ChannelModel): Promise<void> => {
      if (stopped) return;
      try {
        const ch = await model.createChannel();
        ch.on('error', (error: unknown) => this.#report(error));
        channel = ch;
        // Requests are short-lived and expire: a classic queue, not replicated, is enough.
        await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
        await ch.prefetch(concurrency);
        const consumer = await ch.consume(queue, (m) => {
          if (!m) return;
          const task = this.#answer(ch, m, handler).finally(() => inHand.delete(task));
          inHand.add(task);
        });
        tag = consumer.consumerTag;
      } catch (error) {
        this.#report(error);
      }
    };
    const offUp = this.#connection.onUp((model) => void open(model));
    const stop = async (): Promise<void> => {
      if (stopped) return;
      stopped = true;
      offUp();
      if (tag) await channel?.cancel(tag).catch(() => undefined);
      while (inHand.size > 0) await Promise.allSettled([...inHand]);
      await channel?.close().catch(() => undefined);
    };
    this.#servers.add(stop);
    return { stop: () => stop().finally(() => this.#servers.delete(stop)) };
  }

  /** Stops the servers (waiting for replies in hand) and fails pending requests. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#offDown();
    await Promise.all([...this.#servers].map((stop) => stop()));
    this.#failPending(new RpcError('RPC client closed', false));
    const replies = this.#replies;
    this.#replies = undefined;
    if (replies) await (await replies.catch(() => undefined))?.close().catch(() => undefined);
  }

  async #answer<Req, Res>(channel: Channel, m: ConsumeMessage, handler: (payload: Req) => Promise<Res>): Promise<void> {
    const { replyTo, correlationId } = m.properties;
    let body: Buffer;
    let headers: Record<string, unknown> = {};
    try {
      const result = await handler(JSON.parse(m.content.toString('utf8')) as Req);
      body = Buffer.from(JSON.stringify(result) ?? 'null');
    } catch (error) {
      body = Buffer.from('null');
      headers = { [ERROR_HEADER]: errorText(error) };
    }
    try {
      if (typeof replyTo === 'string') channel.sendToQueue(replyTo, body, { correlationId, contentType: 'application/json', headers });
      channel.ack(m);
    } catch (error) {
      this.#report(error); // the channel is gone: the request is redelivered or expires
    }
  }

  #replyChannel(model: ChannelModel): Promise<Channel> {
    if (this.#replies && this.#repliesOf === model) return this.#replies;
    this.#repliesOf = model;
    const opening = (async () => {
      const channel = await model.createChannel();
      channel.on('error', (error: unknown) => this.#report(error));
      channel.on('return', (m: ConsumeMessage) => this.#settle(m.properties.correlationId, undefined, `no server for ${m.fields.routingKey}`));
      channel.on('close', () => {
        if (this.#replies === opening) this.#replies = undefined;
        this.#failPending(new RpcError('reply channel closed before the reply', false));
      });
      // Direct reply-to requires consuming it (no-ack) on the channel before publishing requests.
      await channel.consume(REPLY_TO, (m) => {
        if (!m) return;
        const error = m.properties.headers?.[ERROR_HEADER];
        this.#settle(m.properties.correlationId, m.content, error === undefined ? undefined : String(error));
      }, { noAck: true });
      return channel;
    })();
    opening.catch(() => {
      if (this.#replies === opening) this.#replies = undefined;
    });
    this.#replies = opening;
    return opening;
  }

  #settle(correlationId: unknown, content: Buffer | undefined, error: string | undefined): void {
    const pending = typeof correlationId === 'string' ? this.#pending.get(correlationId) : undefined;
    if (!pending) return; // timed out already, or not ours
    this.#pending.delete(correlationId as string);
    clearTimeout(pending.timer);
    if (error !== undefined) pending.reject(new RpcError(error, content !== undefined));
    else pending.resolve(JSON.parse(content?.toString('utf8') ?? 'null'));
  }

  #failPending(error: RpcError): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.#pending.delete(id);
    }
  }
}
