import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { AppError } from '../../shared/errors/index.js';
import type { SocketEvent } from './chat.delivery.js';
import type { UserView } from './chat.model.js';
import type { ChatService } from './chat.service.js';
import { ConversationCursors, isSeqEvent } from './chat.socket.cursors.js';
import { checkFrame, isFrame, type ClientFrame, type FrameProblem } from './chat.socket.frames.js';

/** The service calls a socket makes. */
export type SocketService = Pick<ChatService, 'send' | 'edit' | 'remove' | 'markRead' | 'markDelivered' | 'eventsSince'>;

/** Close codes of the chat socket (docs/chat.md, "Close codes"). */
export const CLOSE = {
  goingAway: 1001,
  unsupportedData: 1003,
  invalidPayload: 1007,
  policy: 1008,
  unauthorized: 4401,
  slowConsumer: 4008,
} as const;

/** What a connection asks of the hub that holds it. */
export interface ConnectionHost {
  readonly service: SocketService;
  readonly logger: Logger;
  /** Bytes a socket may have waiting to be sent before it is cut (a client that does not read). */
  readonly maxBufferedBytes: number;
  readonly gapWaitMs: number;
  /** Relays a typing indicator (throttled, members only, not across blocks). */
  typing(connection: ChatConnection, conversationId: string): Promise<void>;
  /** The client says it is online or away. */
  setStatus(connection: ChatConnection, status: 'online' | 'away'): void;
  /** The socket closed (for whatever reason): forget it. */
  detach(connection: ChatConnection): void;
}

/** Bad frames tolerated per minute before the socket is closed with 1008. */
const MAX_BAD_FRAMES = 20;
const BAD_FRAME_WINDOW_MS = 60_000;
/** Frames a socket may have in progress at once (service calls); more are refused with `busy`. */
const MAX_IN_FLIGHT = 32;
/** How long a closing socket has to say goodbye before it is destroyed. */
const CLOSE_GRACE_MS = 2_000;
/** Events per store read on resume and gap fills. */
const PAGE_SIZE = 200;
/**
 * How long after opening a socket live events of conversations it has no place in yet are held for
 * the client's resume (its first frame, when it reconnects), so that they follow what it missed.
 */
const RESUME_WAIT_MS = 1_000;

/**
 * Frames as UTF-8 bytes, by frame object: an event routed to the 50 members of a group is one
 * object handed to each of their sockets, so it is serialised once, not once per socket.
 */
const encodings = new WeakMap<object, Buffer>();
function encoded(frame: object): Buffer {
  let bytes = encodings.get(frame);
  if (bytes === undefined) encodings.set(frame, (bytes = Buffer.from(JSON.stringify(frame))));
  return bytes;
}

/**
 * One chat socket: parses and checks the client's frames, calls the service, and writes events in
 * order (exactly once per conversation, see ConversationCursors). Writes never grow memory without
 * bound: past `maxBufferedBytes` waiting in the socket, it is closed with 4008 and destroyed if
 * that close cannot get through.
 */
export class ChatConnection {
  /** Random per socket, sent in `ready` (for the client's logs; not the login session). */
  readonly id = randomBytes(9).toString('base64url');
  readonly #host: ConnectionHost;
  readonly #socket: WebSocket;
  readonly #cursors: ConversationCursors;
  #bad: number[] = [];
  #inFlight = 0;
  #closing = false;
  /** A ping went out and no pong (or frame) came back yet. */
  awaitingPong = false;
  status: 'online' | 'away' = 'online';

  constructor(
    host: ConnectionHost,
    socket: WebSocket,
    readonly userId: string,
    readonly user: UserView,
    /** The login session of the token (revoked: the socket closes with 4401). */
    readonly sessionId: string | undefined,
    /** When the token expires (epoch ms), if it does. */
    readonly expiresAt: number | undefined,
  ) {
    this.#host = host;
    this.#socket = socket;
    this.#cursors = new ConversationCursors({
      read: (conversationId, afterSeq, limit) => host.service.eventsSince(userId, conversationId, afterSeq, limit),
      write: (event) => this.write(event),
      gapWaitMs: host.gapWaitMs,
      pageSize: PAGE_SIZE,
      roomForMore: () => this.#roomForMore(),
      onError: (conversationId, error) => this.#fail(undefined, error, { conversationId }),
    });
    const resumeWait = setTimeout(() => this.#cursors.endResumeWait(), RESUME_WAIT_MS);
    resumeWait.unref();
    socket.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    socket.on('pong', () => (this.awaitingPong = false));
    socket.once('close', () => {
      clearTimeout(resumeWait);
      this.#closing = true;
      this.#cursors.close();
      host.detach(this);
    });
  }

  /** True once the socket is closing: nothing more is written. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Writes a frame, or cuts the socket if the client stopped reading. */
  write(frame: object): void {
    if (this.#closing || this.#socket.readyState !== this.#socket.OPEN) return;
    if (this.#socket.bufferedAmount > this.#host.maxBufferedBytes) {
      this.#host.logger.warn({ userId: this.userId, buffered: this.#socket.bufferedAmount }, 'chat socket cut: the client reads too slowly');
      this.close(CLOSE.slowConsumer, 'slow_consumer');
      return;
    }
    this.#socket.send(encoded(frame), { binary: false });
  }

  /** Takes an event routed to this socket's user. */
  deliver(event: SocketEvent): void {
    if (isSeqEvent(event)) return this.#cursors.offer(event);
    if (event.type === 'conversation.updated') this.#cursors.anchor(event.conversation.id, event.conversation.lastSeq);
    else if (event.type === 'conversation.removed') this.#cursors.forget(event.conversationId);
    this.write(event);
  }

  /** Closes with a code and a reason; destroys the socket if the close handshake does not finish soon. */
  close(code: number, reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#cursors.close();
    this.#socket.close(code, reason);
    setTimeout(() => this.#socket.terminate(), CLOSE_GRACE_MS).unref();
  }

  /** Heartbeat: destroys a socket whose last ping went unanswered, else pings it. */
  heartbeat(now: number): void {
    if (this.expiresAt !== undefined && this.expiresAt <= now) return this.close(CLOSE.unauthorized, 'token expired');
    if (this.awaitingPong) {
      this.#host.logger.info({ userId: this.userId }, 'chat socket terminated: no pong');
      this.#closing = true;
      this.#socket.terminate();
      return;
    }
    this.awaitingPong = true;
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.ping();
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    // Any frame shows the peer is alive, as a pong would.
    this.awaitingPong = false;
    if (this.#closing) return;
    if (isBinary) return this.close(CLOSE.unsupportedData, 'binary frames are not accepted');
    let value: unknown;
    try {
      value = JSON.parse(Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as Buffer).toString('utf8'));
    } catch {
      return this.close(CLOSE.invalidPayload, 'frames are JSON text');
    }
    const frame = checkFrame(value);
    if (!isFrame(frame)) return this.#badFrame(frame);
    if (this.#inFlight >= MAX_IN_FLIGHT) return this.write({ type: 'error', ...(frame.ref === undefined ? {} : { ref: frame.ref }), code: 'busy', detail: `At most ${MAX_IN_FLIGHT} frames in progress at once` });
    this.#inFlight++;
    this.#handle(frame)
      .catch((error: unknown) => this.#fail(frame.ref, error))
      .finally(() => this.#inFlight--);
  }

  #badFrame(problem: FrameProblem): void {
    const now = Date.now();
    this.#bad = this.#bad.filter((t) => t > now - BAD_FRAME_WINDOW_MS);
    this.#bad.push(now);
    if (this.#bad.length > MAX_BAD_FRAMES) return this.close(CLOSE.policy, 'too many bad frames');
    this.write({ type: 'error', ...problem, code: 'bad_frame' });
  }

  async #handle(frame: ClientFrame): Promise<void> {
    const { service } = this.#host;
    const ref = frame.ref === undefined ? {} : { ref: frame.ref };
    switch (frame.type) {
      case 'send': {
        const { message } = await service.send(this.userId, frame.conversationId, { clientId: frame.clientId, text: frame.text, ...(frame.replyTo === undefined ? {} : { replyTo: frame.replyTo }) });
        return this.write({ type: 'ack', ...ref, message });
      }
      case 'edit':
        return this.write({ type: 'ack', ...ref, message: await service.edit(this.userId, frame.conversationId, frame.seq, frame.text) });
      case 'delete':
        await service.remove(this.userId, frame.conversationId, frame.seq);
        return this.write({ type: 'ack', ...ref });
      case 'read': {
        const { readSeq } = await service.markRead(this.userId, frame.conversationId, frame.seq);
        return this.write({ type: 'ack', ...ref, readSeq });
      }
      case 'delivered':
        await service.markDelivered(this.userId, frame.conversationId, frame.seq);
        return this.#ackIfAsked(frame.ref);
      case 'typing':
        await this.#host.typing(this, frame.conversationId);
        return this.#ackIfAsked(frame.ref);
      case 'presence':
        this.#host.setStatus(this, frame.status);
        return this.#ackIfAsked(frame.ref);
      case 'ping':
        return this.write({ type: 'pong', ...ref });
      case 'resume':
        return this.#resume(frame.conversations, frame.ref);
    }
  }

  /** Replays each listed conversation after the client's seq, then says where each stands. */
  async #resume(conversations: Record<string, number>, ref: string | undefined): Promise<void> {
    const resumed: Record<string, number> = {};
    for (const [conversationId, afterSeq] of Object.entries(conversations)) {
      if (this.#closing) return;
      try {
        resumed[conversationId] = await this.#cursors.resume(conversationId, afterSeq);
      } catch (error) {
        this.#fail(ref, error, { conversationId });
      }
    }
    // What the client did not list is live only, from now on.
    this.#cursors.endResumeWait();
    this.write({ type: 'resumed', ...(ref === undefined ? {} : { ref }), conversations: resumed });
  }

  #ackIfAsked(ref: string | undefined): void {
    if (ref !== undefined) this.write({ type: 'ack', ref });
  }

  /** An `error` frame for a refused frame: the service's code and message, never an internal one. */
  #fail(ref: string | undefined, error: unknown, extra: Record<string, unknown> = {}): void {
    const head = { type: 'error', ...(ref === undefined ? {} : { ref }), ...extra };
    if (error instanceof AppError && error.status < 500) {
      const retryAfter = Number(error.extensions?.retryAfter ?? error.headers?.['retry-after'] ?? Number.NaN);
      return this.write({ ...head, code: error.code, detail: error.message, ...(Number.isFinite(retryAfter) ? { retryAfter } : {}) });
    }
    this.#host.logger.error({ err: error, userId: this.userId }, 'chat socket frame failed');
    this.write({ ...head, code: 'internal', detail: 'The server could not handle this frame; try again' });
  }

  /** Waits (bounded) until the socket has sent most of what it holds; false if it closed meanwhile. */
  async #roomForMore(): Promise<boolean> {
    for (let i = 0; i < 1_000 && !this.#closing; i++) {
      if (this.#socket.bufferedAmount <= this.#host.maxBufferedBytes / 2) return true;
      await new Promise((r) => setTimeout(r, 10));
    }
    return !this.#closing;
  }
}
