import type { Selectable } from 'kysely';
import type { SqlDatabase } from '../../platform/sql/index.js';
import type { AccountsTables, ApiKeysTable } from './accounts.tables.js';

/** An API key as listed (never the key itself). Times are epoch ms. */
export interface ApiKey {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

const num = (v: number | null) => (v === null ? null : Number(v));

function toApiKey(row: Omit<Selectable<ApiKeysTable>, 'key_hash'>): ApiKey {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    prefix: row.prefix,
    createdAt: Number(row.created_at),
    lastUsedAt: num(row.last_used_at),
    revokedAt: num(row.revoked_at),
  };
}

const LISTED = ['id', 'user_id', 'name', 'prefix', 'created_at', 'last_used_at', 'revoked_at'] as const;

/** The only code that queries `api_keys`. */
export class ApiKeysRepository {
  readonly #sql: SqlDatabase<AccountsTables>;

  constructor(sql: SqlDatabase<AccountsTables>) {
    this.#sql = sql;
  }

  async insert(key: ApiKey & { hash: string }): Promise<void> {
    await this.#sql.db
      .insertInto('api_keys')
      .values({ id: key.id, user_id: key.userId, name: key.name, prefix: key.prefix, key_hash: key.hash, created_at: key.createdAt, last_used_at: null, revoked_at: null })
      .execute();
  }

  /** A user's keys, newest first, revoked ones included. */
  async listByUser(userId: string): Promise<ApiKey[]> {
    const rows = await this.#sql.db.selectFrom('api_keys').select(LISTED).where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(toApiKey);
  }

  async countActive(userId: string): Promise<number> {
    const row = await this.#sql.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The key with this hash and its owner's username, for authentication. */
  async findByHash(hash: string): Promise<(ApiKey & { username: string }) | null> {
    const row = await this.#sql.db
      .selectFrom('api_keys as k')
      .innerJoin('users as u', 'u.id', 'k.user_id')
      .select(['k.id', 'k.user_id', 'k.name', 'k.prefix', 'k.created_at', 'k.last_used_at', 'k.revoked_at', 'u.username'])
      .where('k.key_hash', '=', hash)
      .executeTakeFirst();
    return row === undefined ? null : { ...toApiKey(row), username: row.username };
  }

  /** Revokes a key of `userId`; the key as it now is, or null when there is no such key of theirs. */
  async revoke(userId: string, id: string, at: number): Promise<{ key: ApiKey; changed: boolean } | null> {
    const result = await this.#sql.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    const row = await this.#sql.db.selectFrom('api_keys').select(LISTED).where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    return row === undefined ? null : { key: toApiKey(row), changed: Number(result.numUpdatedRows) === 1 };
  }

  async touch(id: string, at: number): Promise<void> {
    await this.#sql.db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}
