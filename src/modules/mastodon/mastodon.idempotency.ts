import type { SqlDatabase } from '../../platform/sql/index.js';
import { ConflictError } from '../../shared/errors/index.js';
import type { MastodonTables } from './mastodon.tables.js';

/** Mastodon keeps a key for an hour. */
export const IDEMPOTENCY_TTL_MS = 60 * 60_000;

/**
 * `Idempotency-Key` on status creation: the first request with a key reserves it (the primary key
 * decides between concurrent ones) and records the status it posted; a repeat within the hour gets
 * that status back instead of posting again. A repeat while the first is still posting is a 409.
 */
export class IdempotencyKeys {
  readonly #sql: SqlDatabase<MastodonTables>;

  constructor(sql: SqlDatabase<MastodonTables>) {
    this.#sql = sql;
  }

  /**
   * Runs `post` once per (user, key) within the TTL: answers its status id, or the one a previous
   * request with the key posted.
   */
  async once(userId: string, key: string, now: number, post: () => Promise<string>): Promise<{ statusId: string; replayed: boolean }> {
    const db = this.#sql.db;
    // An expired key of this user's is forgotten first, so that it can be reserved again.
    await db.deleteFrom('mastodon_idempotency').where('user_id', '=', userId).where('idempotency_key', '=', key).where('created_at', '<=', now - IDEMPOTENCY_TTL_MS).execute();
    const reserved = await db
      .insertInto('mastodon_idempotency')
      .values({ user_id: userId, idempotency_key: key, status_id: null, created_at: now })
      .onConflict((oc) => oc.columns(['user_id', 'idempotency_key']).doNothing())
      .executeTakeFirst();
    if (Number(reserved.numInsertedOrUpdatedRows ?? 0n) === 0) {
      const row = await db.selectFrom('mastodon_idempotency').select('status_id').where('user_id', '=', userId).where('idempotency_key', '=', key).executeTakeFirst();
      if (row?.status_id) return { statusId: row.status_id, replayed: true };
      throw new ConflictError('A request with this Idempotency-Key is still being handled', 'idempotency_in_progress');
    }
    try {
      const statusId = await post();
      await db.updateTable('mastodon_idempotency').set({ status_id: statusId }).where('user_id', '=', userId).where('idempotency_key', '=', key).execute();
      return { statusId, replayed: false };
    } catch (error) {
      // Nothing was posted: the key is free for a retry.
      await db.deleteFrom('mastodon_idempotency').where('user_id', '=', userId).where('idempotency_key', '=', key).execute();
      throw error;
    }
  }

  /** Forgets keys older than the TTL (bounded per call). */
  async sweep(now: number): Promise<void> {
    await this.#sql.db.deleteFrom('mastodon_idempotency').where('created_at', '<=', now - IDEMPOTENCY_TTL_MS).execute();
  }
}
