import { LRUCache } from 'lru-cache';
import type { ChatRepository } from './chat.repository.js';

/**
 * Who hears what: a conversation's members (the recipients of every event), a user's contacts
 * (the presence audience) and blocks. Read on every send and every presence change, so kept in
 * memory: dropped by this process's own writes, and aged out so that another process's writes
 * show within 30 s (10 s for blocks) even without an event to say so.
 */
export class ChatAudiences {
  readonly #repo: ChatRepository;
  readonly #members = new LRUCache<string, readonly string[]>({ max: 20_000, ttl: 30_000 });
  readonly #contacts = new LRUCache<string, readonly string[]>({ max: 20_000, ttl: 30_000 });
  readonly #blocked = new LRUCache<string, boolean>({ max: 50_000, ttl: 10_000 });

  constructor(repo: ChatRepository) {
    this.#repo = repo;
  }

  /** Current member ids of a conversation. */
  async membersOf(conversationId: string): Promise<readonly string[]> {
    const known = this.#members.get(conversationId);
    if (known !== undefined) return known;
    const ids = Object.freeze((await this.#repo.members(conversationId)).map((m) => m.user_id));
    this.#members.set(conversationId, ids);
    return ids;
  }

  /** Users who share a current conversation with `userId`, minus blocks either way. */
  async contactsOf(userId: string): Promise<readonly string[]> {
    const known = this.#contacts.get(userId);
    if (known !== undefined) return known;
    const all = await this.#repo.contacts(userId);
    const blocked = await this.#repo.blockedAmong(userId, all);
    const ids = Object.freeze(all.filter((id) => !blocked.has(id)));
    this.#contacts.set(userId, ids);
    return ids;
  }

  /** Whether either of the two blocked the other. */
  async blockedEitherWay(a: string, b: string): Promise<boolean> {
    const key = pairKey(a, b);
    const known = this.#blocked.get(key);
    if (known !== undefined) return known;
    const blocked = (await this.#repo.blockedAmong(a, [b])).has(b);
    this.#blocked.set(key, blocked);
    return blocked;
  }

  /** Forgets a conversation's members (and the contacts of those it had). */
  invalidate(conversationId: string): void {
    const members = this.#members.get(conversationId);
    this.#members.delete(conversationId);
    for (const id of members ?? []) this.#contacts.delete(id);
  }

  /** A conversation's membership changed: its list and the contacts of everyone `affected` go. */
  membersChanged(conversationId: string, affected: readonly string[]): void {
    this.invalidate(conversationId);
    for (const id of affected) this.#contacts.delete(id);
  }

  /** A block between the two was added or lifted. */
  blocksChanged(a: string, b: string): void {
    this.#blocked.delete(pairKey(a, b));
    this.#contacts.delete(a);
    this.#contacts.delete(b);
  }
}

const pairKey = (a: string, b: string) => (a < b ? `${a}:${b}` : `${b}:${a}`);
