import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { Flow, ResponseSink } from './upstream-pool.js';

/** Per-connection headers of the upstream's answer (RFC 9110 §7.6.1): never passed on. */
const HOP_BY_HOP_RESPONSE = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'date']);

export type UpstreamHeaders = Record<string, string | string[] | undefined>;

/** Where a streamed answer goes: the raw response, the gateway's own headers, and how to take it over from the router. */
export interface ProxyTarget {
  readonly raw: ServerResponse;
  /** The gateway's headers (request id, security headers), a fresh object the upstream's are merged into. */
  ownHeaders(): UpstreamHeaders;
  /** Called once before the head is written (Fastify's reply is hijacked). */
  takeOver(): void;
}

/** A Fastify reply as a proxy target. */
export function replyTarget(reply: FastifyReply): ProxyTarget {
  return { raw: reply.raw, ownHeaders: () => reply.getHeaders() as UpstreamHeaders, takeOver: () => reply.hijack() };
}

/**
 * Passes an upstream's answer to the client. Most answers stream straight to the socket (the reply
 * is hijacked: head written once with the gateway's own headers merged in, body chunks written as
 * they come, reading paused while the client is slow). An answer the shared cache may keep is
 * collected instead, up to `maxBuffered` bytes, for the caller to store and send; past that it
 * streams after all.
 */
export class ProxySink implements ResponseSink {
  status = 0;
  headers: UpstreamHeaders = {};
  /** Set when the answer was collected rather than streamed. */
  body: Buffer | undefined;
  /** Settles once the answer is over: sent (streamed) or collected. */
  readonly done: Promise<void>;
  #settle!: (error?: Error) => void;
  #chunks: Buffer[] | undefined;
  #size = 0;
  #streaming = false;

  constructor(
    private readonly target: ProxyTarget,
    /** Whether to collect this answer (for the cache) rather than stream it. */
    private readonly collect: (status: number, headers: UpstreamHeaders) => boolean,
    private readonly maxBuffered: number,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.#settle = (error) => (error === undefined ? resolve() : reject(error));
    });
  }

  get streamed(): boolean {
    return this.#streaming;
  }

  start(status: number, headers: UpstreamHeaders, flow: Flow): void {
    this.status = status;
    this.headers = headers;
    if (this.collect(status, headers)) this.#chunks = [];
    else this.#stream(flow);
  }

  data(chunk: Buffer, flow: Flow): void {
    if (this.#chunks !== undefined) {
      this.#chunks.push(chunk);
      this.#size += chunk.length;
      if (this.#size <= this.maxBuffered) return;
      const pending = this.#chunks;
      this.#chunks = undefined;
      this.#stream(flow);
      for (const c of pending) this.#write(c, flow);
      return;
    }
    this.#write(chunk, flow);
  }

  end(): void {
    if (this.#chunks !== undefined) {
      this.body = Buffer.concat(this.#chunks, this.#size);
      this.#chunks = undefined;
    } else {
      this.target.raw.end();
    }
    this.#settle();
  }

  fail(error: Error): void {
    // The head may be out already: the only honest signal left is a cut connection.
    if (this.#streaming) this.target.raw.destroy(error);
    this.#settle(error);
  }

  #stream(_flow: Flow): void {
    this.#streaming = true;
    const { target } = this;
    target.takeOver();
    const head = target.ownHeaders();
    for (const name in this.headers) {
      const value = this.headers[name];
      if (value !== undefined && !HOP_BY_HOP_RESPONSE.has(name)) head[name] = value;
    }
    target.raw.writeHead(this.status, head as Record<string, string | string[]>);
  }

  #write(chunk: Buffer, flow: Flow): void {
    // A listener only while the client is behind: one held by every response would keep the
    // upstream's request objects reachable from it, and the GC would promote them all.
    if (!this.target.raw.write(chunk)) {
      flow.pause();
      this.target.raw.once('drain', () => flow.resume());
    }
  }
}
