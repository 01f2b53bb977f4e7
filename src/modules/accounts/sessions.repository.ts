import type { Transaction } from 'kysely';
import type { SqlDatabase } from '../../platform/sql/index.js';
import type { AccountsTables } from './accounts.tables.js';

/** A refresh token row with its family, as rotation needs it. */
export interface PresentedToken {
  familyId: string;
  userId: string;
  spentAt: number | null;
  familyExpiresAt: number;
  familyRevokedAt: number | null;
}

/** The only code that queries `refresh_families` and `refresh_tokens`. */
export class SessionsRepository {
  readonly #sql: SqlDatabase<AccountsTables>;

  constructor(sql: SqlDatabase<AccountsTables>) {
    this.#sql = sql;
  }

  /** Runs `work` in one transaction. */
  transaction<T>(work: (trx: Transaction<AccountsTables>) => Promise<T>): Promise<T> {
    return this.#sql.db.transaction().execute(work);
  }

  async insertFamily(
    trx: Transaction<AccountsTables>,
    family: { id: string; userId: string; createdAt: number; expiresAt: number },
  ): Promise<void> {
    await trx
      .insertInto('refresh_families')
      .values({ id: family.id, user_id: family.userId, created_at: family.createdAt, expires_at: family.expiresAt, revoked_at: null, revoked_reason: null })
      .execute();
  }

  async insertToken(trx: Transaction<AccountsTables>, token: { hash: string; familyId: string; createdAt: number }): Promise<void> {
    await trx.insertInto('refresh_tokens').values({ token_hash: token.hash, family_id: token.familyId, created_at: token.createdAt, spent_at: null }).execute();
  }

  async findToken(trx: Transaction<AccountsTables>, hash: string): Promise<PresentedToken | null> {
    const row = await trx
      .selectFrom('refresh_tokens as t')
      .innerJoin('refresh_families as f', 'f.id', 't.family_id')
      .select(['t.family_id', 't.spent_at', 'f.user_id', 'f.expires_at', 'f.revoked_at'])
      .where('t.token_hash', '=', hash)
      .executeTakeFirst();
    if (row === undefined) return null;
    return {
      familyId: row.family_id,
      userId: row.user_id,
      spentAt: row.spent_at === null ? null : Number(row.spent_at),
      familyExpiresAt: Number(row.expires_at),
      familyRevokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    };
  }

  /**
   * Marks a token spent if it is not already: true for exactly one of any number of concurrent
   * callers (the conditional UPDATE is the arbiter on every engine).
   */
  async spend(trx: Transaction<AccountsTables>, hash: string, at: number): Promise<boolean> {
    const result = await trx.updateTable('refresh_tokens').set({ spent_at: at }).where('token_hash', '=', hash).where('spent_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Revokes a family (idempotent: the first revocation's time and reason stay). */
  async revokeFamily(trx: Transaction<AccountsTables> | undefined, familyId: string, at: number, reason: string): Promise<boolean> {
    const db = trx ?? this.#sql.db;
    const result = await db
      .updateTable('refresh_families')
      .set({ revoked_at: at, revoked_reason: reason })
      .where('id', '=', familyId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Families revoked at or after `since` (read at start by the revocation list). */
  async revokedSince(since: number): Promise<string[]> {
    const rows = await this.#sql.db.selectFrom('refresh_families').select('id').where('revoked_at', '>=', since).execute();
    return rows.map((row) => row.id);
  }

  async findFamily(familyId: string): Promise<{ userId: string; revokedAt: number | null; expiresAt: number } | null> {
    const row = await this.#sql.db.selectFrom('refresh_families').select(['user_id', 'revoked_at', 'expires_at']).where('id', '=', familyId).executeTakeFirst();
    if (row === undefined) return null;
    return { userId: row.user_id, revokedAt: row.revoked_at === null ? null : Number(row.revoked_at), expiresAt: Number(row.expires_at) };
  }
}
