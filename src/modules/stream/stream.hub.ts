import type { PubSubPort } from '../../platform/pubsub/index.js';
import { EventLog } from './event-log.js';
import { SseClient, type SseLimits, type SseSink } from './sse-client.js';
import { StreamClosingError, StreamUnavailableError, TooManyStreamsError } from './stream.errors.js';
import { parseStreamEvent, userChannel } from './stream.events.js';

export interface StreamHubOptions {
  pubsub: PubSubPort;
  /** Events kept per user for Last-Event-ID replay. */
  replayEvents: number;
  /** Between heartbeat comments. */
  heartbeatMs: number;
  /** How long a user's subscription and log outlive their last connection (to replay across reconnects). */
  retainMs: number;
  /** Users without a connection whose log is kept, at most; the longest idle go first. */
  maxIdleUsers: number;
  maxConnectionsPerUser: number;
  limits: SseLimits;
  /** Event ids start at now × 1000, so ids of a restarted process are above those of the last one. */
  now: () => number;
}

/** What the hub keeps per user: the log, the open streams, the pub/sub subscription. */
interface UserState {
  readonly userId: string;
  readonly log: EventLog;
  readonly clients: Set<SseClient>;
  /** Connections between their checks and their first write: the state must not go idle under them. */
  connecting: number;
  unsubscribe: () => void;
  idleTimer: NodeJS.Timeout | undefined;
}

/** Counters for metrics and tests. */
export interface StreamStats {
  connections: number;
  users: number;
  dropped: number;
}

/** Formats one SSE event; JSON has no raw newlines, so `data` is one line. */
function format(id: number, type: string, data: object): string {
  return `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The live streams of this API instance. Per user: one pub/sub subscription (`user:<id>`) and a
 * bounded log of recent events, kept while the user has streams open and for `retainMs` after, so
 * that a reconnecting EventSource (Last-Event-ID) gets exactly what it missed. Event ids come from
 * one counter per instance: increasing per user, and comparable across the user's reconnections.
 */
export class StreamHub {
  readonly #options: StreamHubOptions;
  readonly #users = new Map<string, UserState>();
  /** Users without connections, longest idle first (Map keeps insertion order). */
  readonly #idle = new Map<string, UserState>();
  readonly #heartbeat: NodeJS.Timeout;
  readonly #ended = new Set<Promise<void>>();
  #sequence: number;
  #dropped = 0;
  #closing = false;

  constructor(options: StreamHubOptions) {
    this.#options = options;
    this.#sequence = Math.floor(options.now()) * 1000;
    this.#heartbeat = setInterval(() => {
      for (const state of this.#users.values()) for (const client of state.clients) client.heartbeat();
    }, options.heartbeatMs);
    this.#heartbeat.unref();
  }

  /** Whether live events for this user would reach anyone: an open stream, or a log kept for replay. */
  wants(userId: string): boolean {
    return this.#users.has(userId);
  }

  /** Whether live events for anyone would reach anyone. */
  watching(): boolean {
    return this.#users.size > 0;
  }

  stats(): StreamStats {
    let connections = 0;
    for (const state of this.#users.values()) connections += state.clients.size;
    return { connections, users: this.#users.size, dropped: this.#dropped };
  }

  /**
   * Opens a stream for a user. Checks and subscribes first (errors then are ordinary HTTP errors),
   * then calls `start` to take over the response, writes what the client missed (or `reset`) and
   * relays events until the connection closes: call the returned `detach` on 'close'.
   * `start` returns null when the client went away meanwhile.
   */
  async connect(userId: string, lastEventId: string | undefined, start: () => SseSink | null): Promise<{ client: SseClient; detach: () => void } | null> {
    if (this.#closing) throw new StreamClosingError();
    if ((this.#users.get(userId)?.clients.size ?? 0) >= this.#options.maxConnectionsPerUser) throw new TooManyStreamsError(this.#options.maxConnectionsPerUser);
    const state = this.#stateOf(userId);
    this.#unidle(state);
    state.connecting++;
    let sink: SseSink | null;
    try {
      // Subscribed before anything is written: no event can fall between the replay and the relay.
      await this.#options.pubsub.ready().catch((error: unknown) => {
        throw new StreamUnavailableError(error);
      });
      if (this.#closing) throw new StreamClosingError();
      sink = start();
    } catch (error) {
      state.connecting--;
      this.#idleIfUnused(state);
      throw error;
    }
    state.connecting--;
    if (sink === null) {
      this.#idleIfUnused(state);
      return null;
    }
    const client = new SseClient(sink, this.#options.limits, () => this.#dropped++);
    client.send(`: connected\n\n${this.#preamble(state.log, lastEventId)}`);
    state.clients.add(client);
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    this.#ended.add(done);
    return {
      client,
      detach: () => {
        client.detach();
        if (state.clients.delete(client)) this.#idleIfUnused(state);
        this.#ended.delete(done);
        ended();
      },
    };
  }

  /**
   * Ends every stream (clients reconnect elsewhere, or here after a restart with a `reset`) and
   * waits for their connections to close, at most `graceMs`; then destroys the stragglers.
   */
  async endAll(graceMs: number): Promise<void> {
    this.#closing = true;
    const clients = [...this.#users.values()].flatMap((s) => [...s.clients]);
    for (const client of clients) client.end();
    const pending = [...this.#ended];
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.all(pending).then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) for (const state of this.#users.values()) for (const client of state.clients) client.destroyNow();
  }

  /** Stops the heartbeat and every subscription; streams should be ended first (`endAll`). */
  close(): void {
    this.#closing = true;
    clearInterval(this.#heartbeat);
    for (const state of this.#users.values()) this.#evict(state);
  }

  #preamble(log: EventLog, lastEventId: string | undefined): string {
    if (lastEventId === undefined || lastEventId === '') return `id: ${log.position}\n\n`;
    // An id this instance cannot have issued (garbage, too large) cannot be replayed from either.
    const missed = /^\d{1,16}$/.test(lastEventId) ? log.since(Number(lastEventId)) : null;
    // An id field with no data sets the browser's last event id without firing an event.
    if (missed !== null) return missed.length > 0 ? missed.join('') : `id: ${log.position}\n\n`;
    return format(log.position, 'reset', { reason: 'The events since your last event id are no longer available; reload.' });
  }

  #stateOf(userId: string): UserState {
    const known = this.#users.get(userId);
    if (known !== undefined) return known;
    // A fresh id as the floor: every id issued before (to this user's earlier streams, whose log is
    // gone) is below it and gets a reset, since events may have been missed while nobody listened.
    const created: UserState = { userId, log: new EventLog(this.#options.replayEvents, ++this.#sequence), clients: new Set(), connecting: 0, unsubscribe: () => {}, idleTimer: undefined };
    created.unsubscribe = this.#options.pubsub.subscribe(userChannel(userId), (message) => this.#deliver(created, message));
    this.#users.set(userId, created);
    return created;
  }

  #deliver(state: UserState, message: unknown): void {
    const event = parseStreamEvent(message);
    if (event === null) return;
    const id = ++this.#sequence;
    const chunk = format(id, event.type, event.data);
    state.log.append(id, chunk);
    for (const client of state.clients) client.send(chunk);
  }

  #unidle(state: UserState): void {
    clearTimeout(state.idleTimer);
    state.idleTimer = undefined;
    this.#idle.delete(state.userId);
  }

  #idleIfUnused(state: UserState): void {
    if (state.clients.size > 0 || state.connecting > 0 || this.#users.get(state.userId) !== state) return;
    if (this.#closing) {
      this.#evict(state);
      return;
    }
    this.#unidle(state);
    this.#idle.set(state.userId, state);
    state.idleTimer = setTimeout(() => this.#evict(state), this.#options.retainMs);
    state.idleTimer.unref();
    while (this.#idle.size > this.#options.maxIdleUsers) {
      const oldest = this.#idle.values().next().value as UserState;
      this.#evict(oldest);
    }
  }

  #evict(state: UserState): void {
    this.#unidle(state);
    state.unsubscribe();
    this.#users.delete(state.userId);
  }
}
