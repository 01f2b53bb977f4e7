import { request as httpRequest, STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import * as wsLibrary from 'ws';
import { requestIdOf } from '../http/request-id.js';
import type { Lease } from '../platform/balancer/index.js';
import { AppError, ServiceUnavailableError, toProblem } from '../shared/errors/index.js';
import type { UpstreamPool } from './upstream-pool.js';

/*
 * WebSocket (and any other Upgrade) proxying: the handshake is forwarded with Node's HTTP client to
 * an upstream the balancer picks, and once the upstream answers 101 the two TCP streams are piped
 * to each other, byte for byte. No frame is parsed, so a message costs the gateway one read and
 * one write (no re-framing, no per-message allocation), TCP back-pressure reaches the API through
 * the pipe (its slow-consumer cut still sees a slow client), and ping/pong stays end to end (a
 * dead client is detected by the API, not hidden by a gateway answering pongs for it). nginx,
 * HAProxy and Envoy proxy WebSockets the same way.
 *
 * The one frame the gateway writes itself is the close frame it sends a client when the socket's
 * upstream leaves the pool (1012 "service restart": reconnect, you will be routed elsewhere) or
 * when the gateway shuts down (1001 "going away"). It is framed by ws's own Sender, not by hand.
 * The cost of not parsing: the gateway does not know the frame boundaries of the bytes it already
 * passed on, and if the upstream was halfway through a frame at that instant the client sees a
 * protocol error (1002) instead of 1012 — it reconnects all the same, which is all a drain needs.
 * Terminating the WebSocket at the gateway (ws on both sides) would avoid that at the cost of
 * parsing and re-framing every message and of breaking end-to-end heartbeats; the raw pipe wins.
 */

/** The slice of ws's frame writer used here (its types do not declare it). */
interface FrameWriter {
  frame(data: Buffer, options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }): Buffer[];
}
const Sender = (wsLibrary as unknown as { Sender: FrameWriter }).Sender;

/** Hop-by-hop headers of the handshake that the proxy sets itself; Connection/Upgrade are re-added. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id', 'forwarded']);
/** Errors raised before the handshake reached the upstream: another upstream may be tried. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);
/** A refusal's body the gateway passes on (problem+json); bigger ones are cut to a 502. */
const MAX_REFUSAL_BYTES = 64 * 1024;

export interface UpgradeProxyOptions {
  pool: UpstreamPool;
  logger: Logger;
  registry: Registry;
  /** How long the upstream may take to answer the handshake (504 after). */
  timeoutMs: number;
  /** More upstreams tried when one refused the connection (the handshake was not sent). */
  retries: number;
  /** How long a closing tunnel may take to flush before both sockets are destroyed (default 5 s). */
  drainMs?: number;
  /** The balancer's key for a handshake (the client address for the hash policies). */
  hashKey(req: IncomingMessage): string;
  /** X-Forwarded-For to send: the peer, appended to a trusted proxy's list. */
  forwardedFor(req: IncomingMessage): string;
  isDraining(): boolean;
}

/** One proxied connection: the client's socket, the upstream's, and the lease held while it lasts. */
interface Tunnel {
  readonly upstream: string;
  readonly client: Duplex;
  readonly server: Socket;
  /** Resolves once both sockets closed. */
  readonly closed: Promise<void>;
  closing: boolean;
}

/** Proxies Upgrade requests to the pool and keeps the open tunnels, to count and to drain them. */
export class UpgradeProxy {
  readonly #o: UpgradeProxyOptions;
  readonly #tunnels = new Set<Tunnel>();
  readonly #drainMs: number;
  readonly #upgrades: Counter<'outcome'>;
  readonly #drained: Counter<'reason'>;

  constructor(options: UpgradeProxyOptions) {
    this.#o = options;
    this.#drainMs = options.drainMs ?? 5_000;
    const tunnels = this.#tunnels;
    new Gauge({
      name: 'gateway_websockets_open',
      help: 'Proxied WebSocket (upgraded) connections open now, per upstream.',
      labelNames: ['upstream'],
      registers: [options.registry],
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const t of tunnels) counts.set(t.upstream, (counts.get(t.upstream) ?? 0) + 1);
        for (const [upstream, n] of counts) this.set({ upstream }, n);
      },
    });
    this.#upgrades = new Counter({
      name: 'gateway_websocket_upgrades_total',
      help: 'Upgrade requests by outcome: proxied (101), refused (the upstream answered otherwise), unavailable (no upstream or draining), failed (502/504).',
      labelNames: ['outcome'],
      registers: [options.registry],
    });
    this.#drained = new Counter({
      name: 'gateway_websockets_drained_total',
      help: 'Proxied connections the gateway closed itself: upstream_left (1012), shutdown (1001), upstream_lost.',
      labelNames: ['reason'],
      registers: [options.registry],
    });
    options.pool.onLeave((address) => void this.closeUpstream(address));
  }

  /** Proxied connections open now. */
  get open(): number {
    return this.#tunnels.size;
  }

  /** The HTTP server's 'upgrade' listener. */
  handle(req: IncomingMessage, client: Duplex, head: Buffer): void {
    // A client that resets before the tunnel is up must not crash the process.
    client.on('error', () => client.destroy());
    if (this.#o.isDraining()) return this.#refuse(req, client, new ServiceUnavailableError('The gateway is shutting down', 'draining', 1), 'unavailable');
    this.#attempt(req, client, head, new Set(), 1);
  }

  /** Closes the tunnels to `address` (it left the pool) with 1012, bounded by drainMs. */
  async closeUpstream(address: string): Promise<void> {
    const closing = [...this.#tunnels].filter((t) => t.upstream === address).map((t) => this.#close(t, 1012, 'service restart', 'upstream_left'));
    if (closing.length > 0) this.#o.logger.info({ upstream: address, sockets: closing.length }, 'closing the WebSockets of an upstream that left the pool');
    await Promise.all(closing);
  }

  /** Closes every tunnel with 1001 (the gateway goes away), bounded by drainMs. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#tunnels].map((t) => this.#close(t, 1001, 'going away', 'shutdown')));
  }

  #attempt(req: IncomingMessage, client: Duplex, head: Buffer, tried: Set<string>, attempt: number): void {
    const { pool } = this.#o;
    const key = this.#o.hashKey(req);
    const lease = tried.size === 0 ? pool.balancer.pick({ key }) : (pool.balancer.pick({ key, exclude: tried }) ?? pool.balancer.pick({ key }));
    const endpoint = lease === undefined ? undefined : pool.endpoint(lease.upstream);
    if (lease === undefined || endpoint === undefined) {
      lease?.done({ ok: true });
      return this.#refuse(req, client, new ServiceUnavailableError('No API instance is available', 'upstream_unavailable', 1), 'unavailable');
    }
    const started = performance.now();
    const upstreamReq = httpRequest({
      host: endpoint.host,
      port: endpoint.port,
      method: req.method,
      path: req.url,
      headers: this.#headers(req),
      // A connection of its own: an upgraded socket never goes back to a keep-alive pool.
      agent: false,
      timeout: this.#o.timeoutMs,
    });
    let settled = false;
    const settle = () => {
      settled = true;
      client.off('close', abandon);
    };
    // The client left during the handshake: nothing to wait for.
    const abandon = () => {
      if (settled) return;
      settle();
      lease.done({ ok: true, latencyMs: performance.now() - started });
      upstreamReq.destroy();
    };
    client.once('close', abandon);
    upstreamReq.on('upgrade', (res, server, upstreamHead) => {
      settle();
      this.#open(lease, performance.now() - started, req, res, client, head, server, upstreamHead);
    });
    upstreamReq.on('response', (res) => {
      settle();
      lease.done({ ok: (res.statusCode ?? 502) < 500, latencyMs: performance.now() - started });
      this.#upgrades.inc({ outcome: 'refused' });
      this.#relayRefusal(res, client);
    });
    upstreamReq.on('timeout', () => upstreamReq.destroy(Object.assign(new Error('upstream handshake timed out'), { code: 'HANDSHAKE_TIMEOUT' })));
    upstreamReq.on('error', (error: Error & { code?: string }) => {
      if (settled) return;
      settle();
      lease.done({ ok: false });
      const code = error.code ?? '';
      if (NOT_SENT.has(code) && attempt <= this.#o.retries && !client.destroyed) {
        tried.add(lease.upstream);
        return this.#attempt(req, client, head, tried, attempt + 1);
      }
      this.#o.logger.warn({ upstream: lease.upstream, code }, 'WebSocket handshake with the upstream failed');
      const failure = code === 'HANDSHAKE_TIMEOUT' ? new AppError('upstream_timeout', 504, `The API did not answer within ${this.#o.timeoutMs} ms`) : new AppError('upstream_unreachable', 502, 'The API could not be reached');
      this.#refuse(req, client, failure, 'failed');
    });
    upstreamReq.end();
  }

  /** The upstream said 101: pass its answer on, then pipe both ways until either side closes. */
  #open(lease: Lease, latencyMs: number, req: IncomingMessage, res: IncomingMessage, client: Duplex, head: Buffer, server: Socket, upstreamHead: Buffer): void {
    if (client.destroyed || this.#o.isDraining()) {
      server.destroy();
      client.destroy();
      lease.done({ ok: true, latencyMs });
      return;
    }
    this.#upgrades.inc({ outcome: 'proxied' });
    const lines = [`HTTP/1.1 101 ${res.statusMessage || 'Switching Protocols'}`];
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
    client.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (upstreamHead.length > 0) client.write(upstreamHead);
    if (head.length > 0) server.write(head);
    for (const s of [client, server] as (Duplex & Partial<Socket>)[]) {
      s.setNoDelay?.(true);
      // The HTTP server's idle timeout does not apply to a WebSocket: its heartbeats are the API's.
      s.setTimeout?.(0);
      s.setKeepAlive?.(true, 30_000);
    }
    let closedCount = 0;
    let markClosed!: () => void;
    const tunnel: Tunnel = { upstream: lease.upstream, client, server, closing: false, closed: new Promise<void>((r) => (markClosed = r)) };
    this.#tunnels.add(tunnel);
    const onClose = () => {
      if (++closedCount < 2) return;
      this.#tunnels.delete(tunnel);
      // Held for the socket's life: least-connections balances open sockets, not handshakes.
      lease.done({ ok: true, latencyMs });
      markClosed();
    };
    // One side gone: finish the other (its pending bytes flush first), destroyed if it lingers.
    const follow = (from: Duplex, to: Duplex) => {
      from.once('close', () => {
        onClose();
        if (to.destroyed) return;
        to.end();
        // Read and drop what it still sends, so that its FIN arrives and the socket closes.
        to.resume();
        setTimeout(() => to.destroy(), this.#drainMs).unref();
      });
    };
    follow(client, server);
    follow(server, client);
    server.on('error', (error: Error & { code?: string }) => {
      // The upstream vanished without a close (a reset): tell the client to reconnect rather than leave it guessing.
      if (!tunnel.closing && !client.destroyed) {
        tunnel.closing = true;
        this.#drained.inc({ reason: 'upstream_lost' });
        this.#o.logger.debug({ upstream: lease.upstream, code: error.code }, 'upstream WebSocket connection lost');
        client.unpipe(server);
        client.write(closeFrame(1012, 'service restart'));
        client.resume();
      }
      server.destroy();
    });
    server.pipe(client);
    client.pipe(server);
  }

  /** Sends the client a close frame, ends both sockets, and destroys them if they linger. */
  #close(tunnel: Tunnel, code: number, reason: string, why: string): Promise<void> {
    if (tunnel.closing) return tunnel.closed;
    tunnel.closing = true;
    this.#drained.inc({ reason: why });
    const { client, server } = tunnel;
    server.unpipe(client);
    client.unpipe(server);
    if (!client.destroyed) {
      client.end(closeFrame(code, reason));
      // Whatever the client still sends (its close answer) is read and dropped, so that its FIN arrives.
      client.resume();
    }
    server.end();
    server.resume();
    const timer = setTimeout(() => {
      client.destroy();
      server.destroy();
    }, this.#drainMs).unref();
    return tunnel.closed.finally(() => clearTimeout(timer));
  }

  #headers(req: IncomingMessage): Record<string, string | string[]> {
    const headers: Record<string, string | string[]> = {};
    for (const name in req.headers) {
      const value = req.headers[name];
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    headers.connection = 'Upgrade';
    headers.upgrade = req.headers.upgrade ?? 'websocket';
    headers['x-forwarded-for'] = this.#o.forwardedFor(req);
    headers['x-forwarded-proto'] = (req.socket as Partial<{ encrypted: boolean }>).encrypted === true ? 'https' : 'http';
    if (req.headers.host !== undefined) headers['x-forwarded-host'] = req.headers.host;
    headers['x-request-id'] = requestIdOf(req);
    return headers;
  }

  /** The upstream refused the upgrade (401, 403, 404...): its answer goes to the client as it is, then the connection closes. */
  #relayRefusal(res: IncomingMessage, client: Duplex): void {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REFUSAL_BYTES) chunks.push(chunk);
      else res.destroy();
    });
    res.on('error', () => client.destroy());
    res.on('end', () => {
      if (client.destroyed) return;
      const body = Buffer.concat(chunks);
      const lines = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage || STATUS_CODES[res.statusCode ?? 502] || ''}`];
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
        const name = res.rawHeaders[i]!.toLowerCase();
        if (name !== 'connection' && name !== 'transfer-encoding' && name !== 'content-length' && name !== 'keep-alive') lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
      }
      lines.push(`content-length: ${body.length}`, 'connection: close');
      client.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), body]));
    });
  }

  /** Answers a handshake the gateway cannot pass on: problem+json over the raw socket, then closes it. */
  #refuse(req: IncomingMessage, client: Duplex, error: AppError, outcome: string): void {
    this.#upgrades.inc({ outcome });
    if (client.destroyed) return;
    const requestId = requestIdOf(req);
    const body = JSON.stringify(toProblem(error));
    const headers = [
      `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}`,
      'content-type: application/problem+json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      `x-request-id: ${requestId}`,
      'x-content-type-options: nosniff',
      'cache-control: no-store',
      ...Object.entries(error.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
      'connection: close',
    ];
    client.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
  }
}

/** A server-to-client close frame (unmasked), framed by ws. */
function closeFrame(code: number, reason: string): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return Buffer.concat(Sender.frame(payload, { fin: true, rsv1: false, opcode: 0x08, mask: false, readOnly: false }));
}
