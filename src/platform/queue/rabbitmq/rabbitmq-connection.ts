import { connect, type ChannelModel } from 'amqplib';
import { ServiceUnavailableError } from '../../../shared/errors/index.js';

/** Options of {@link RabbitMqConnection}. */
export interface RabbitMqConnectionOptions {
  /** `amqp://user:password@host:port/vhost` (AMQP_URL). Never logged: it may hold a password. */
  url: string;
  /** Shown by the broker (`rabbitmqctl list_connections client_properties`), to tell processes apart. */
  connectionName?: string;
  /** Reconnect delay: full jitter over min(maxMs, initialMs * 2^n) (default 100 ms .. 5 s). */
  reconnect?: { initialMs?: number; maxMs?: number };
  /** AMQP heartbeat (default 10 s): how soon a silently dead peer is noticed. */
  heartbeatSeconds?: number;
  /** Told about connection errors; the connection reconnects on its own. */
  onError?: (error: unknown) => void;
}

type UpListener = (model: ChannelModel) => void;
type DownListener = () => void;

/**
 * One AMQP connection that comes back: it connects in the background, and after a loss reconnects
 * with exponential backoff and full jitter until closed. Users register for `up` (a new connection:
 * declare topology again, resume consumers) and `down` (deliveries of the old one are void: the
 * broker has taken back every unacknowledged message). Shared by the queue and the RPC client.
 */
export class RabbitMqConnection {
  readonly #url: string;
  readonly #name: string;
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #heartbeat: number;
  readonly #report: (error: unknown) => void;
  readonly #up = new Set<UpListener>();
  readonly #down = new Set<DownListener>();
  readonly #waiters = new Set<() => void>();
  #model: ChannelModel | undefined;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #connecting = false;
  #closed = false;
  #lastError: unknown;

  constructor(options: RabbitMqConnectionOptions) {
    this.#url = options.url;
    this.#name = options.connectionName ?? `blueprint-${process.pid}`;
    this.#initialMs = options.reconnect?.initialMs ?? 100;
    this.#maxMs = options.reconnect?.maxMs ?? 5_000;
    this.#heartbeat = options.heartbeatSeconds ?? 10;
    const onError = options.onError;
    this.#report = (error) => {
      try {
        onError?.(error);
      } catch {
        // A throwing callback must not break reconnection.
      }
    };
    void this.#connect();
  }

  get name(): string {
    return this.#name;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The live connection, if any. */
  get current(): ChannelModel | undefined {
    return this.#model;
  }

  /** Calls `listener` on every new connection (at once if connected now); returns an unsubscribe. */
  onUp(listener: UpListener): () => void {
    this.#up.add(listener);
    if (this.#model) listener(this.#model);
    return () => this.#up.delete(listener);
  }

  /** Calls `listener` whenever the connection is lost. */
  onDown(listener: DownListener): () => void {
    this.#down.add(listener);
    return () => this.#down.delete(listener);
  }

  /** The live connection, waiting up to `timeoutMs` for one; throws ServiceUnavailableError past that or once closed. */
  async ready(timeoutMs: number): Promise<ChannelModel> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#closed) throw new Error('RabbitMQ connection is closed');
      if (this.#model) return this.#model;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ServiceUnavailableError(`RabbitMQ unreachable for ${timeoutMs} ms (${errorMessage(this.#lastError)})`, 'queue_unavailable');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        const waiters = this.#waiters;
        waiters.add(done);
      });
    }
  }

  /** Closes for good: no reconnection; waiters are released with an error. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#wake();
    const model = this.#model;
    this.#model = undefined;
    if (model) await closeModel(model);
  }

  async #connect(): Promise<void> {
    if (this.#connecting || this.#closed) return;
    this.#connecting = true;
    let model: ChannelModel;
    try {
      // noDelay: without it Nagle's algorithm holds small frames (a confirm-awaited publish) for tens of ms.
      model = await connect(withHeartbeat(this.#url, this.#heartbeat), { clientProperties: { connection_name: this.#name }, noDelay: true });
    } catch (error) {
      this.#connecting = false;
      this.#lastError = error;
      this.#report(error);
      this.#schedule();
      return;
    }
    this.#connecting = false;
    if (this.#closed) {
      await closeModel(model);
      return;
    }
    this.#failures = 0;
    this.#model = model;
    model.on('error', (error: unknown) => {
      this.#lastError = error;
      this.#report(error);
    });
    model.on('close', () => this.#lost(model));
    // Without it a blocked broker (memory or disk alarm) would hold publishes silently.
    model.on('blocked', (reason: string) => this.#report(new Error(`RabbitMQ blocked publishing: ${reason}`)));
    for (const listener of this.#up) listener(model);
    this.#wake();
  }

  #lost(model: ChannelModel): void {
    if (this.#model !== model) return;
    this.#model = undefined;
    for (const listener of this.#down) listener();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed) return;
    const ceiling = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#failures++, 30));
    this.#timer = setTimeout(() => void this.#connect(), Math.round(Math.random() * ceiling));
    this.#timer.unref();
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : error === undefined ? 'not connected yet' : String(error);
}

/** Adds `heartbeat` to the URL's query unless it names one already (amqplib reads it from there). */
function withHeartbeat(url: string, seconds: number): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(seconds));
  return parsed.toString();
}

/**
 * Closes gracefully, but not forever: on a connection that died silently (no heartbeat yet) the
 * close handshake never completes, so past `timeoutMs` the socket is destroyed.
 */
export async function closeModel(model: ChannelModel, timeoutMs = 2_000): Promise<void> {
  await withTimeout(model.close(), timeoutMs).catch(() => {
    (model.connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
  });
}

/** Resolves or rejects as `promise` does, or rejects after `timeoutMs`. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
