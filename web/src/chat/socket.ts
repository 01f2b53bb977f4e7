import { CHAT_SOCKET } from '../../../src/contracts/chat-socket.js';
import type { ClientFrame, ServerFrame, SocketStatus } from './types.js';

export interface SocketHooks {
  /** The access token now (memory only), or null when signed out. */
  token: () => string | null;
  /** Renews the access token (any authenticated call does); false while the server is away. */
  renew: () => Promise<boolean>;
  /** Each frame, `ready` included, in arrival order. */
  onFrame: (frame: ServerFrame) => void;
  onStatus: (status: SocketStatus) => void;
}

/** Reconnection delays: 0.5 s doubling to 30 s, with jitter so that a restarted server is not stampeded. */
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;
/** Until the server's `ready` says its own heartbeat. */
const DEFAULT_HEARTBEAT_MS = 25_000;

/** The socket's URL: same origin, and no token in it (URLs end up in logs). */
function socketUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}${CHAT_SOCKET.path}`;
}

/**
 * The chat's WebSocket (`GET /api/v1/chat/socket`): authenticated by the subprotocol list
 * (`blueprint.chat.v1`, `bearer.<token>`), reopened with backoff after any drop, the access token
 * renewed first (an upgrade refused with 401 looks, to a browser, like any other failure). A ping
 * every heartbeat and no frame for two of them counts as a drop: a half-open connection (a laptop
 * resumed from sleep, a NAT that forgot it) says nothing by itself.
 */
export class ChatSocket {
  readonly #hooks: SocketHooks;
  #ws: WebSocket | null = null;
  #status: SocketStatus = 'connecting';
  #ready = false;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #lastFrameAt = 0;
  #stopped = true;
  /** Bumped on every (re)start and stop: a stale async reconnection gives up. */
  #generation = 0;

  constructor(hooks: SocketHooks) {
    this.#hooks = hooks;
  }

  get status(): SocketStatus {
    return this.#status;
  }

  /** Open and `ready`: frames sent now reach the server (unless the connection is dying unseen). */
  get ready(): boolean {
    return this.#ready && this.#ws?.readyState === WebSocket.OPEN;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#generation++;
    this.#setStatus('connecting');
    window.addEventListener('online', this.#online);
    this.#open();
  }

  stop(): void {
    window.removeEventListener('online', this.#online);
    this.#stopped = true;
    this.#generation++;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#detach(1000, 'bye');
    this.#attempt = 0;
    this.#setStatus('connecting');
  }

  /** Sends a frame if the socket is ready; answers whether it went. */
  send(frame: ClientFrame): boolean {
    if (!this.ready) return false;
    this.#ws!.send(JSON.stringify(frame));
    return true;
  }

  /** Drops the connection now and reconnects (for a peer that stopped answering). */
  reconnect(): void {
    if (this.#stopped || this.#ws === null) return;
    this.#lost();
  }

  /** The network is back: try now rather than at the end of a long backoff. */
  readonly #online = (): void => {
    if (this.#stopped || this.#retryTimer === undefined) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#attempt = 0;
    this.#generation++;
    this.#retry();
  };

  #setStatus(status: SocketStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    this.#hooks.onStatus(status);
  }

  #open(): void {
    const token = this.#hooks.token();
    if (token === null) return this.#retry();
    let ws: WebSocket;
    try {
      ws = new WebSocket(socketUrl(), [CHAT_SOCKET.protocol, `${CHAT_SOCKET.bearerPrefix}${token}`]);
    } catch {
      return this.#retry();
    }
    this.#ws = ws;
    this.#ready = false;
    ws.onmessage = (event) => {
      if (this.#ws !== ws) return;
      this.#lastFrameAt = Date.now();
      if (typeof event.data !== 'string') return;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(event.data) as ServerFrame;
      } catch {
        return;
      }
      if (typeof frame !== 'object' || frame === null || typeof frame.type !== 'string') return;
      if (frame.type === 'ready') {
        this.#ready = true;
        this.#attempt = 0;
        this.#beat(frame.heartbeatMs > 0 ? frame.heartbeatMs : DEFAULT_HEARTBEAT_MS);
        this.#setStatus('open');
      }
      this.#hooks.onFrame(frame);
    };
    ws.onclose = () => {
      if (this.#ws === ws) this.#lost();
    };
    // An error is followed by a close: handled there.
    ws.onerror = () => undefined;
  }

  /** Pings every `ms`; nothing heard for two periods drops the connection. */
  #beat(ms: number): void {
    clearInterval(this.#heartbeat);
    this.#lastFrameAt = Date.now();
    this.#heartbeat = setInterval(() => {
      if (Date.now() - this.#lastFrameAt > 2 * ms) this.#lost();
      else this.send({ type: 'ping' });
    }, ms);
  }

  /** Forgets the current socket: its late events are ignored. */
  #detach(code: number, reason: string): void {
    clearInterval(this.#heartbeat);
    const ws = this.#ws;
    this.#ws = null;
    this.#ready = false;
    if (ws === null) return;
    ws.onmessage = null;
    ws.onclose = null;
    try {
      ws.close(code, reason);
    } catch {
      // Already closing.
    }
  }

  #lost(): void {
    this.#detach(4000, 'reconnecting');
    if (this.#stopped) return;
    this.#setStatus('reconnecting');
    this.#retry();
  }

  #retry(): void {
    clearTimeout(this.#retryTimer);
    const base = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.#attempt);
    this.#attempt++;
    const generation = this.#generation;
    this.#retryTimer = setTimeout(() => {
      void this.#hooks.renew().then((ok) => {
        if (generation !== this.#generation) return;
        this.#retryTimer = undefined;
        if (ok) this.#open();
        else this.#retry();
      });
    }, base / 2 + Math.random() * (base / 2));
  }
}
