import type { ChatRepository } from './chat.repository.js';

/** How long group delivered marks gather in memory before one transaction writes them all. */
const DELIVERED_FLUSH_MS = 250;

/**
 * Group delivered marks, gathered: every member acknowledges every message, so the highest seq
 * per member is kept in memory and written with the others every 250 ms (each clamped to the
 * conversation's last seq, never down) instead of a write per acknowledgement.
 */
export class DeliveredMarks {
  readonly #repo: ChatRepository;
  readonly #onError: (error: unknown) => void;
  readonly #pending = new Map<string, { conversationId: string; userId: string; seq: number }>();
  #timer: NodeJS.Timeout | undefined;

  constructor(repo: ChatRepository, onError: (error: unknown) => void) {
    this.#repo = repo;
    this.#onError = onError;
  }

  /** Notes that `userId` has everything up to `seq` of the conversation. */
  add(conversationId: string, userId: string, seq: number): void {
    const key = `${conversationId}\u0000${userId}`;
    const known = this.#pending.get(key);
    if (known === undefined || known.seq < seq) this.#pending.set(key, { conversationId, userId, seq });
    this.#timer ??= setTimeout(() => void this.flush(), DELIVERED_FLUSH_MS).unref();
  }

  /** Writes what is gathered, in one transaction. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    const marks = [...this.#pending.values()];
    this.#pending.clear();
    try {
      await this.#repo.transaction(async (trx) => {
        for (const m of marks) await this.#repo.markDeliveredUpTo(m.conversationId, m.userId, m.seq, trx);
      });
    } catch (error) {
      this.#onError(error);
    }
  }
}
