import { ApiProblem } from '../api.js';
import type { ChatSocket } from './socket.js';
import type { Pending } from './state.js';
import type { ChatStore } from './store.js';
import type { Message } from './types.js';

/** What the outbox needs of the signed-in session. */
export type Call = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/** A fresh idempotency id (getRandomValues: randomUUID needs a secure context, a LAN address is not one). */
function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * My messages on their way: each shown at once as pending, with a client id of its own, sent over
 * the socket (over HTTP while the socket is down) and sent again, with the same id, after every
 * reconnection until acknowledged. The server keeps one message per client id, so no loss (a
 * frame lost with the connection) and no double (a resend of one that did get through).
 */
export class Outbox {
  readonly #store: ChatStore;
  readonly #socket: ChatSocket;
  /** The signed-in session (a new object for each user), else null. */
  readonly #session: () => { call: Call } | null;

  constructor(store: ChatStore, socket: ChatSocket, session: () => { call: Call } | null) {
    this.#store = store;
    this.#socket = socket;
    this.#session = session;
  }

  /** Sends `text` to conversation `id`. */
  send(id: string, text: string): void {
    const pending: Pending = { clientId: newClientId(), conversationId: id, text, createdAt: new Date().toISOString(), state: 'sending' };
    this.#store.setThread(id, (t) => ({ ...t, pending: [...t.pending, pending] }));
    this.#transmit(pending);
  }

  /** Sends a refused message again, with its client id. */
  retry(id: string, clientId: string): void {
    const pending = this.#store.thread(id).pending.find((p) => p.clientId === clientId);
    if (pending === undefined) return;
    const again: Pending = { ...pending, state: 'sending' };
    delete again.error;
    this.#store.setThread(id, (t) => ({ ...t, pending: t.pending.map((p) => (p.clientId === clientId ? again : p)) }));
    this.#transmit(again);
  }

  /** Forgets a message that could not be sent. */
  discard(id: string, clientId: string): void {
    this.#store.setThread(id, (t) => ({ ...t, pending: t.pending.filter((p) => p.clientId !== clientId) }));
  }

  /** After a (re)connection: everything still unacknowledged goes again. */
  resend(): void {
    for (const thread of Object.values(this.#store.state.threads)) for (const p of thread.pending) if (p.state === 'sending') this.#transmit(p);
  }

  #transmit(p: Pending): void {
    if (this.#socket.send({ type: 'send', ref: p.clientId, conversationId: p.conversationId, clientId: p.clientId, text: p.text })) return;
    const session = this.#session();
    if (session === null) return;
    session
      .call<Message>('POST', `/api/v1/conversations/${encodeURIComponent(p.conversationId)}/messages`, { clientId: p.clientId, text: p.text })
      .then((message) => {
        if (this.#session() === session) this.#store.putMessages(p.conversationId, [message], p.clientId);
      })
      .catch((e: unknown) => {
        // Offline: the socket's next `ready` sends it. Refused: shown with the reason.
        if (this.#session() !== session || !(e instanceof ApiProblem)) return;
        this.#store.setThread(p.conversationId, (t) => ({ ...t, pending: t.pending.map((q) => (q.clientId === p.clientId ? { ...q, state: 'failed', error: e.message } : q)) }));
      });
  }
}
