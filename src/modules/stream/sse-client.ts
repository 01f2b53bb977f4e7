/** The slice of a Node response (HTTP/1 or HTTP/2) a client writes to. */
export interface SseSink {
  write(chunk: string): boolean;
  end(): void;
  destroy(): void;
  readonly writableLength: number;
  once(event: 'drain', listener: () => void): unknown;
}

/** How far a client may fall behind before it is dropped. */
export interface SseLimits {
  /** Bytes buffered for it (in the socket's writable buffer plus queued here). */
  maxPendingBytes: number;
  /** Events queued here while the socket buffer is full. */
  maxQueuedEvents: number;
}

/**
 * One open stream, with bounded back-pressure: while the socket accepts data, events are written
 * at once; once `write` says the buffer is full, events wait in a queue until 'drain'. A client
 * that lets the queue or the buffer pass its limits is dropped (the socket destroyed), never
 * buffered for without bound: one stalled browser must not grow the server's memory.
 */
export class SseClient {
  readonly #sink: SseSink;
  readonly #limits: SseLimits;
  readonly #onDrop: () => void;
  #queue: string[] = [];
  #queuedBytes = 0;
  #congested = false;
  #closed = false;
  #dropped = false;

  constructor(sink: SseSink, limits: SseLimits, onDrop: () => void) {
    this.#sink = sink;
    this.#limits = limits;
    this.#onDrop = onDrop;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True when it was dropped for falling behind. */
  get dropped(): boolean {
    return this.#dropped;
  }

  get congested(): boolean {
    return this.#congested;
  }

  /** Writes or queues a formatted chunk; false once the client is closed or was just dropped. */
  send(chunk: string): boolean {
    if (this.#closed) return false;
    if (this.#congested) {
      this.#queue.push(chunk);
      this.#queuedBytes += Buffer.byteLength(chunk);
      if (this.#queue.length > this.#limits.maxQueuedEvents || this.#queuedBytes + this.#sink.writableLength > this.#limits.maxPendingBytes) {
        this.#drop();
        return false;
      }
      return true;
    }
    if (!this.#sink.write(chunk)) {
      if (this.#sink.writableLength > this.#limits.maxPendingBytes) {
        this.#drop();
        return false;
      }
      this.#congest();
    }
    return true;
  }

  /** A comment that keeps proxies from timing the connection out; skipped while congested. */
  heartbeat(): void {
    if (!this.#closed && !this.#congested) this.send(': heartbeat\n\n');
  }

  /** Ends the response politely; a congested one cannot be flushed and is destroyed. */
  end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    if (this.#congested) this.#sink.destroy();
    else this.#sink.end();
  }

  /** Closes the connection at once, whatever is buffered (shutdown of a client that does not close). */
  destroyNow(): void {
    this.#closed = true;
    this.#queue = [];
    this.#sink.destroy();
  }

  /** Forgets the client after its connection closed. */
  detach(): void {
    this.#closed = true;
    this.#queue = [];
  }

  #congest(): void {
    this.#congested = true;
    this.#sink.once('drain', () => this.#flush());
  }

  #flush(): void {
    if (this.#closed) return;
    this.#congested = false;
    while (this.#queue.length > 0) {
      const chunk = this.#queue.shift()!;
      this.#queuedBytes -= Buffer.byteLength(chunk);
      if (!this.#sink.write(chunk)) {
        this.#congest();
        return;
      }
    }
  }

  #drop(): void {
    this.#closed = true;
    this.#dropped = true;
    this.#queue = [];
    this.#sink.destroy();
    this.#onDrop();
  }
}
