import type { Kysely, Selectable } from 'kysely';
import type { SqlDatabase } from '../../platform/sql/index.js';
import { chatDedupeKey, dedupeKey } from './notification-rules.js';
import { idKey, idOf, type Notification, type NotificationKind, type PlannedNotification } from './notifications.model.js';
import type { NotificationsTable, NotificationsTables } from './notifications.tables.js';

function toNotification(row: Selectable<NotificationsTable>): Notification {
  return {
    id: idOf(row.id),
    recipientId: row.recipient_id,
    kind: row.kind as NotificationKind,
    actorId: row.actor_id,
    tweetId: row.tweet_id,
    ...(row.conversation_id === null ? {} : { conversationId: row.conversation_id }),
    createdAt: Number(row.created_at),
  };
}

/** The only code that queries the notifications tables. */
export class NotificationsRepository {
  readonly #sql: SqlDatabase<NotificationsTables>;

  constructor(sql: SqlDatabase<NotificationsTables>) {
    this.#sql = sql;
  }

  /** Runs `work` in one transaction (a consumer's batch of events); pass its `trx` to the writes. */
  transaction<T>(work: (trx: Kysely<NotificationsTables>) => Promise<T>): Promise<T> {
    return this.#sql.db.transaction().execute(work);
  }

  /** `work` in `trx` when given, else in a transaction of its own. */
  #in<T>(trx: Kysely<NotificationsTables> | undefined, work: (trx: Kysely<NotificationsTables>) => Promise<T>): Promise<T> {
    return trx === undefined ? this.transaction(work) : work(trx);
  }

  /**
   * Stores the planned notifications that do not exist yet, in one transaction; returns those it
   * created. Notifications about a deleted tweet are not created.
   */
  async insert(planned: readonly PlannedNotification[], nextId: () => string, db?: Kysely<NotificationsTables>): Promise<Notification[]> {
    if (planned.length === 0) return [];
    return this.#in(db, async (trx) => {
      const tweetIds = [...new Set(planned.map((p) => p.tweetId).filter((t): t is string => t !== null))];
      if (tweetIds.length > 0) {
        const deleted = await trx.selectFrom('notification_deleted_tweets').select('tweet_id').where('tweet_id', 'in', tweetIds).executeTakeFirst();
        if (deleted !== undefined) return [];
      }
      const created: Notification[] = [];
      for (const p of planned) {
        const id = nextId();
        const row = await trx
          .insertInto('notifications')
          .values({ id: idKey(id), recipient_id: p.recipientId, kind: p.kind, actor_id: p.actorId, tweet_id: p.tweetId, conversation_id: p.conversationId ?? null, dedupe_key: dedupeKey(p), created_at: p.createdAt })
          // Already there: a redelivery. An answer, not an error, which would abort the transaction.
          .onConflict((oc) => oc.columns(['recipient_id', 'dedupe_key']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (row !== undefined) created.push({ ...p, id });
      }
      return created;
    });
  }

  /** Removes a deleted tweet's notifications and remembers the deletion; returns how many went. */
  async removeForTweet(tweetId: string, at: number, db?: Kysely<NotificationsTables>): Promise<number> {
    return this.#in(db, async (trx) => {
      await trx.insertInto('notification_deleted_tweets').values({ tweet_id: tweetId, deleted_at: at }).onConflict((oc) => oc.column('tweet_id').doNothing()).execute();
      const result = await trx.deleteFrom('notifications').where('tweet_id', '=', tweetId).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  /** Removes the user's chat notification of a conversation (they read it): the next message notifies again. */
  async removeChat(recipientId: string, conversationId: string): Promise<void> {
    await this.#sql.db.deleteFrom('notifications').where('recipient_id', '=', recipientId).where('dedupe_key', '=', chatDedupeKey(conversationId)).execute();
  }

  /** A user's notifications, newest first, with ids below `before` (a public id). */
  async list(recipientId: string, limit: number, before?: string): Promise<Notification[]> {
    let query = this.#sql.db.selectFrom('notifications').selectAll().where('recipient_id', '=', recipientId).orderBy('id', 'desc').limit(limit);
    if (before !== undefined) query = query.where('id', '<', idKey(before));
    return (await query.execute()).map(toNotification);
  }

  /** Deletes one notification of the user's (a public id); false when there was none. */
  async dismiss(userId: string, id: string): Promise<boolean> {
    const result = await this.#sql.db.deleteFrom('notifications').where('recipient_id', '=', userId).where('id', '=', idKey(id)).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Deletes every notification of the user's. */
  async clear(userId: string): Promise<void> {
    await this.#sql.db.deleteFrom('notifications').where('recipient_id', '=', userId).execute();
  }

  /** The public id up to which the user has read, or null. */
  async readUpTo(userId: string): Promise<string | null> {
    const row = await this.#sql.db.selectFrom('notification_reads').select('read_up_to').where('user_id', '=', userId).executeTakeFirst();
    return row === undefined ? null : idOf(row.read_up_to);
  }

  /** The newest notification id of the user, or null. */
  async newestId(userId: string): Promise<string | null> {
    const row = await this.#sql.db.selectFrom('notifications').select('id').where('recipient_id', '=', userId).orderBy('id', 'desc').limit(1).executeTakeFirst();
    return row === undefined ? null : idOf(row.id);
  }

  /** Moves the user's read mark up to `upTo` (a public id); never down. */
  async markRead(userId: string, upTo: string): Promise<void> {
    const key = idKey(upTo);
    await this.#sql.db
      .insertInto('notification_reads')
      .values({ user_id: userId, read_up_to: key })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ read_up_to: key }).where('notification_reads.read_up_to', '<', key))
      .execute();
  }

  /** Notifications above the read mark, counted up to `cap`. */
  async countUnread(userId: string, readUpTo: string | null, cap: number): Promise<number> {
    let inner = this.#sql.db.selectFrom('notifications').select('id').where('recipient_id', '=', userId).limit(cap);
    if (readUpTo !== null) inner = inner.where('id', '>', idKey(readUpTo));
    const row = await this.#sql.db.selectFrom(inner.as('unread')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
