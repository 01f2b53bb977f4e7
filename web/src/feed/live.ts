import { useEffect, useRef, useSyncExternalStore } from 'react';
import { useSession, type Session } from '../session.js';
import type { Notification } from './types.js';

/**
 * The live stream (`GET /api/v1/stream`, Server-Sent Events): one EventSource per tab, shared by
 * every subscriber (the nav's unread badge, the home timeline, the notifications page), open while
 * anyone listens. The server allows a few streams per user; one per tab keeps well under that.
 */
export type LiveEvent =
  /** A new tweet in the home timeline (fetch it by id). */
  | { type: 'tweet'; data: { id: string; authorId: string } }
  /** A tweet that left the home timeline. */
  | { type: 'delete'; data: { id: string; authorId?: string } }
  | { type: 'notification'; data: Notification }
  /** Events may have been missed (the server's `reset`, or a reconnection that could not replay): reload. */
  | { type: 'resync' };

/** `connecting` before the first open; `lost` from a drop until the stream is open again. */
export type LiveStatus = 'connecting' | 'open' | 'lost';

type Handler = (event: LiveEvent) => void;

interface Auth {
  userId: string;
  token: Session['token'];
  call: Session['call'];
}

const EVENT_TYPES = ['tweet', 'delete', 'notification', 'reset'] as const;
/** Reconnection delays: 1 s doubling to 30 s, with jitter so that a restarted server is not stampeded. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;

class LiveStream {
  #handlers = new Set<Handler>();
  #statusListeners = new Set<() => void>();
  #status: LiveStatus = 'connecting';
  #auth: Auth | null = null;
  #source: EventSource | null = null;
  /** The id of the last event received: a reopened stream replays what came after it. */
  #lastEventId = '';
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped on every (re)start: a stale async reconnection gives up. */
  #generation = 0;

  get status(): LiveStatus {
    return this.#status;
  }

  subscribe(auth: Auth, handler: Handler): () => void {
    clearTimeout(this.#closeTimer);
    if (this.#auth?.userId !== auth.userId) {
      // Another user (or the first): their own stream, nothing carried over.
      this.#stop();
      this.#lastEventId = '';
    }
    this.#auth = auth;
    this.#handlers.add(handler);
    if (this.#source === null && this.#retryTimer === undefined) this.#open();
    return () => {
      this.#handlers.delete(handler);
      // Closed a moment later: a page change (or React's double effects) unsubscribes and resubscribes at once.
      if (this.#handlers.size === 0) this.#closeTimer = setTimeout(() => this.#handlers.size === 0 && this.#stop(), 1_000);
    };
  }

  onStatus(listener: () => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  #setStatus(status: LiveStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    for (const listener of this.#statusListeners) listener();
  }

  #dispatch(event: LiveEvent): void {
    for (const handler of [...this.#handlers]) handler(event);
  }

  #stop(): void {
    this.#generation++;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#source?.close();
    this.#source = null;
    this.#attempt = 0;
    this.#setStatus('connecting');
  }

  #open(): void {
    const token = this.#auth?.token();
    if (token === null || token === undefined) {
      this.#setStatus('lost');
      this.#retry();
      return;
    }
    const resuming = this.#attempt > 0;
    const params = new URLSearchParams({ access_token: token });
    if (this.#lastEventId !== '') params.set('lastEventId', this.#lastEventId);
    const source = new EventSource(`/api/v1/stream?${params.toString()}`);
    this.#source = source;
    source.onopen = () => {
      this.#attempt = 0;
      this.#setStatus('open');
      // Without a last event id the server cannot replay the gap: the pages reload instead.
      if (resuming && this.#lastEventId === '') this.#dispatch({ type: 'resync' });
    };
    source.onerror = () => {
      if (this.#source !== source) return;
      // Taken over from the browser's own retries: ours back off, and renew the access token
      // (a stream refused with 401 is closed for good and needs a new URL).
      source.close();
      this.#source = null;
      this.#setStatus('lost');
      this.#retry();
    };
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (message) => {
        if (this.#source !== source) return;
        if (message.lastEventId) this.#lastEventId = message.lastEventId;
        if (type === 'reset') return this.#dispatch({ type: 'resync' });
        let data: unknown;
        try {
          data = JSON.parse(message.data as string);
        } catch {
          return;
        }
        if (typeof data === 'object' && data !== null) this.#dispatch({ type, data } as LiveEvent);
      });
    }
  }

  #retry(): void {
    const base = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.#attempt);
    this.#attempt++;
    const generation = this.#generation;
    this.#retryTimer = setTimeout(() => {
      void (async () => {
        // Any authenticated call refreshes an expired access token; failing, it says the server is still away.
        const ok = await this.#auth
          ?.call('GET', '/api/v1/me')
          .then(() => true)
          .catch(() => false);
        if (generation !== this.#generation) return;
        this.#retryTimer = undefined;
        if (ok) this.#open();
        else this.#retry();
      })();
    }, base / 2 + Math.random() * (base / 2));
  }
}

const live = new LiveStream();

/**
 * Calls `handler` with each live event while the component is mounted and a user is signed in.
 * The latest `handler` is used: it need not be memoised.
 */
export function useLive(handler: Handler): void {
  const { user, token, call } = useSession();
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  const userId = user?.id;
  useEffect(() => {
    if (userId === undefined) return;
    return live.subscribe({ userId, token, call }, (event) => latest.current(event));
  }, [userId, token, call]);
}

/** The stream's connection state, re-rendering on changes. */
export function useLiveStatus(): LiveStatus {
  return useSyncExternalStore(
    (listener) => live.onStatus(listener),
    () => live.status,
  );
}
