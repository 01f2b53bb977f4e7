import { LRUCache } from 'lru-cache';
import { NO_EVENTS, type ChatEvent, type ChatEventSink, type ChatNotifier } from './chat.model.js';
import type { ChatRepository, ConversationRow } from './chat.repository.js';
import { messageView, summaryView, usersOfMessage, type ChatUsers } from './chat.views.js';

/**
 * What leaves the service after a commit: events to the sink (the socket layer), personal
 * conversation summaries, and notifications to offline members. Best effort: a failure is
 * reported (`onError`), never the caller's error, since the change itself is committed.
 */
export class ChatPublisher {
  readonly #repo: ChatRepository;
  readonly #users: ChatUsers;
  readonly #notifier: ChatNotifier | undefined;
  readonly #onError: (error: unknown) => void;
  #sink: ChatEventSink = NO_EVENTS;
  // `<conversation>:<user>` notified lately: skipped until they read here, or for a minute (a read
  // on another process clears the stored notification; this one learns it within that minute).
  readonly #notified = new LRUCache<string, true>({ max: 100_000, ttl: 60_000 });

  constructor(deps: { repository: ChatRepository; users: ChatUsers; notifier: ChatNotifier | undefined; onError: (error: unknown) => void }) {
    this.#repo = deps.repository;
    this.#users = deps.users;
    this.#notifier = deps.notifier;
    this.#onError = deps.onError;
  }

  /** Sets where events go. */
  attach(sink: ChatEventSink): void {
    this.#sink = sink;
  }

  /** Hands `event` to the sink for `recipients` (user ids). */
  publish(recipients: readonly string[], event: ChatEvent): void {
    if (recipients.length === 0) return;
    try {
      this.#sink.publish(recipients, event);
    } catch (error) {
      this.#onError(error);
    }
  }

  /** `conversation.updated` to each recipient, with their own unread count and read mark. */
  async summaries(row: ConversationRow, recipients: readonly string[]): Promise<void> {
    try {
      const [members, unread, last] = await Promise.all([this.#repo.members(row.id), this.#repo.unreadByMember(row.id), this.#repo.lastMessages(new Map([[row.id, 0]]))]);
      const lastRow = last.get(row.id);
      const users = await this.#users.byIds([...members.map((m) => m.user_id), ...(lastRow === undefined ? [] : usersOfMessage(lastRow))]);
      const byUser = new Map(members.map((m) => [m.user_id, m]));
      const lastView = lastRow === undefined ? null : messageView(lastRow, users);
      for (const id of recipients) {
        const m = byUser.get(id);
        if (m === undefined) continue;
        const peerId = row.kind === 'direct' ? members.find((o) => o.user_id !== id)?.user_id : undefined;
        const conversation = summaryView(row, {
          readSeq: m.read_seq,
          unread: unread.get(id) ?? 0,
          peer: peerId === undefined ? undefined : users.get(peerId),
          lastMessage: lastRow !== undefined && lastRow.seq > m.joined_seq ? lastView : null,
        });
        this.publish([id], { type: 'conversation.updated', conversation });
      }
    } catch (error) {
      this.#onError(error);
    }
  }

  /**
   * A notification to the members with no socket anywhere (after the commit). Those this process
   * notified about this conversation lately are skipped without asking the store (they have one
   * until they read): a busy group costs no write per message and member.
   */
  notifyOffline(recipients: readonly string[], conversationId: string, authorId: string, at: number): void {
    const notifier = this.#notifier;
    const due = recipients.filter((id) => !this.#notified.has(`${conversationId}:${id}`));
    if (notifier === undefined || due.length === 0) return;
    void (async () => {
      const offline = this.#sink.offlineAmong === undefined ? due : await this.#sink.offlineAmong(due);
      if (offline.length === 0) return;
      for (const id of offline) this.#notified.set(`${conversationId}:${id}`, true);
      await notifier.messageSent(offline, conversationId, authorId, at);
    })().catch(this.#onError);
  }

  /** The reader caught up: their notification goes, and the next message notifies them again. */
  read(userId: string, conversationId: string): void {
    this.#notified.delete(`${conversationId}:${userId}`);
    this.#notifier?.conversationRead(userId, conversationId).catch(this.#onError);
  }
}
