import { EMPTY_THREAD, INITIAL, upsertMessages, withSummary, type ChatState, type Thread } from './state.js';
import type { Conversation, ConversationSummary, Message } from './types.js';

/**
 * The chat's state for React (`useSyncExternalStore`): one immutable snapshot, replaced on every
 * change, and the few changes several parts of the client make.
 */
export class ChatStore {
  #state: ChatState = INITIAL;
  #listeners = new Set<() => void>();

  get state(): ChatState {
    return this.#state;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  set(state: ChatState): void {
    if (state === this.#state) return;
    this.#state = state;
    for (const listener of [...this.#listeners]) listener();
  }

  /** The thread of a conversation (an empty one, not loaded, if there is none yet). */
  thread(id: string): Thread {
    return this.#state.threads[id] ?? EMPTY_THREAD;
  }

  setThread(id: string, change: (thread: Thread) => Thread): void {
    const before = this.thread(id);
    const after = change(before);
    if (after !== before) this.set({ ...this.#state, threads: { ...this.#state.threads, [id]: after } });
  }

  setDetails(conversation: Conversation): void {
    this.set({ ...this.#state, details: { ...this.#state.details, [conversation.id]: conversation } });
  }

  /** The list with `summary` in its place (most recent activity first). */
  putSummary(summary: ConversationSummary): void {
    this.set({ ...this.#state, list: { ...this.#state.list, items: withSummary(this.#state.list.items, summary) } });
  }

  summary(id: string): ConversationSummary | undefined {
    return this.#state.list.items.find((s) => s.id === id);
  }

  /** Puts messages in a thread (and takes out the pending one they acknowledge). */
  putMessages(id: string, messages: readonly Message[], clientId?: string): void {
    this.setThread(id, (t) => {
      const next = upsertMessages(t.messages, messages);
      const pending = clientId === undefined ? t.pending : t.pending.filter((p) => p.clientId !== clientId);
      return next === t.messages && pending === t.pending ? t : { ...t, messages: next, pending };
    });
  }
}
