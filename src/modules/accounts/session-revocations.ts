import type { Clock } from '../../platform/clock/index.js';
import type { PubSubPort } from '../../platform/pubsub/index.js';

/** The pub/sub channel on which every process hears of revoked sessions. */
export const REVOKED_SESSIONS_CHANNEL = 'accounts:sessions-revoked';

export interface SessionRevocationsOptions {
  /** Spans the processes of a deployment (Redis when scaled); absent: this process only. */
  bus?: PubSubPort | undefined;
  clock: Clock;
  /** How long a revocation must be remembered: the longest an access token of the session may still be presented (its TTL plus clock tolerance). */
  rememberMs: number;
}

/** Called with the id of a session just revoked (here or in another process). */
export type RevocationListener = (sessionId: string) => void;

/**
 * The sessions (refresh families) revoked within the lifetime of an access token: an access token
 * whose `sid` is listed is refused at once, though its signature and `exp` are still good, and
 * open streams of the session are ended. Revocations reach every process through the pub/sub bus
 * (best effort: a process that was cut from the bus when one was published learns of it only by
 * loading the recent ones at start); entries expire once no token of the session can be valid.
 */
export class SessionRevocations {
  readonly #o: SessionRevocationsOptions;
  /** Session id → epoch ms after which it need not be remembered; insertion order is expiry order. */
  readonly #revoked = new Map<string, number>();
  readonly #listeners = new Set<RevocationListener>();
  #unsubscribe: (() => void) | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: SessionRevocationsOptions) {
    this.#o = options;
  }

  /** Listens on the bus, and lists the sessions revoked recently (read from the database by the caller). */
  async start(recent: readonly string[]): Promise<void> {
    for (const sessionId of recent) this.#mark(sessionId);
    this.#listen();
  }

  /**
   * Subscribes, again every few seconds while the bus refuses (Redis down at boot): a bus that is
   * down must not keep the API from starting. Not waited for either: revocations made meanwhile
   * came from the database.
   */
  #listen(): void {
    const bus = this.#o.bus;
    if (bus === undefined || this.#unsubscribe !== undefined || this.#closed) return;
    try {
      this.#unsubscribe = bus.subscribe(REVOKED_SESSIONS_CHANNEL, (message) => {
        const sessionId = (message as { sid?: unknown } | null)?.sid;
        if (typeof sessionId === 'string' && sessionId.length <= 64) this.#mark(sessionId);
      });
    } catch {
      this.#retry = setTimeout(() => this.#listen(), 5_000).unref();
    }
  }

  /** Revokes a session here at once and tells the other processes (a bus failure is thrown: the caller logs it). */
  async revoke(sessionId: string): Promise<void> {
    this.#mark(sessionId);
    await this.#o.bus?.publish(REVOKED_SESSIONS_CHANNEL, { sid: sessionId });
  }

  /** Whether access tokens of this session must be refused. */
  isRevoked(sessionId: string): boolean {
    const until = this.#revoked.get(sessionId);
    return until !== undefined && until > this.#o.clock.now();
  }

  /** Calls `listener` on every revocation from now on; returns the function that stops it. */
  onRevoked(listener: RevocationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Revocations remembered now (for tests and metrics). */
  get size(): number {
    return this.#revoked.size;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#listeners.clear();
  }

  #mark(sessionId: string): void {
    const now = this.#o.clock.now();
    // Forget the expired ones, oldest first: the map stays as large as one token lifetime of revocations.
    for (const [id, until] of this.#revoked) {
      if (until > now) break;
      this.#revoked.delete(id);
    }
    const known = this.#revoked.has(sessionId);
    this.#revoked.delete(sessionId);
    this.#revoked.set(sessionId, now + this.#o.rememberMs);
    if (known) return;
    for (const listener of this.#listeners) {
      try {
        listener(sessionId);
      } catch {
        // One listener's failure must not keep the revocation from the others.
      }
    }
  }
}
