import { NotificationInputError } from './notifications.errors.js';
import type { Notification } from './notifications.model.js';
import type { NotificationsRepository } from './notifications.repository.js';

/** Unread counts stop here: "1000+" is all a badge needs, and counting stays cheap. */
export const UNREAD_CAP = 1_000;

/** A page of a user's notifications. */
export interface NotificationPage {
  items: (Notification & { read: boolean })[];
  nextCursor: string | null;
  unread: number;
}

const ID = /^[0-9]{1,20}$/;

function checkId(value: string, code: string, field: string): string {
  if (!ID.test(value)) throw new NotificationInputError(code, `${field.slice(1)} is not a notification id`, field);
  return value.replace(/^0+(?=\d)/, '');
}

/** Reading notifications and marking them read (the consumer creates them). */
export class NotificationsService {
  readonly #repository: NotificationsRepository;

  constructor(repository: NotificationsRepository) {
    this.#repository = repository;
  }

  /** Newest first; the cursor is the last id of the previous page (ids only grow, so pages never repeat). */
  async list(userId: string, options: { cursor?: string | undefined; limit: number }): Promise<NotificationPage> {
    const before = options.cursor === undefined ? undefined : checkId(options.cursor, 'cursor_invalid', '/cursor');
    const [rows, readUpTo] = await Promise.all([this.#repository.list(userId, options.limit + 1, before), this.#repository.readUpTo(userId)]);
    const page = rows.slice(0, options.limit);
    const isRead = (id: string) => readUpTo !== null && BigInt(id) <= BigInt(readUpTo);
    return {
      items: page.map((n) => ({ ...n, read: isRead(n.id) })),
      nextCursor: rows.length > options.limit ? (page.at(-1)?.id ?? null) : null,
      unread: await this.#repository.countUnread(userId, readUpTo, UNREAD_CAP),
    };
  }

  /**
   * Deletes one of the user's notifications (Mastodon's dismiss); false when it is not theirs or
   * gone. An event redelivered later may bring it back: dismissal is a view choice, not a fact.
   */
  dismiss(userId: string, id: string): Promise<boolean> {
    if (!ID.test(id)) return Promise.resolve(false);
    return this.#repository.dismiss(userId, id.replace(/^0+(?=\d)/, ''));
  }

  /** Deletes all of the user's notifications (Mastodon's clear). */
  clear(userId: string): Promise<void> {
    return this.#repository.clear(userId);
  }

  /**
   * Marks read every notification up to `upTo` (all of them without it). The mark only moves up,
   * and never past the newest notification, so that ones arriving later are unread.
   */
  async markRead(userId: string, upTo?: string): Promise<{ unread: number }> {
    const wanted = upTo === undefined ? undefined : checkId(upTo, 'notification_id_invalid', '/upTo');
    const newest = await this.#repository.newestId(userId);
    if (newest !== null) {
      const mark = wanted === undefined || BigInt(wanted) > BigInt(newest) ? newest : wanted;
      await this.#repository.markRead(userId, mark);
    }
    return { unread: await this.#repository.countUnread(userId, await this.#repository.readUpTo(userId), UNREAD_CAP) };
  }
}
