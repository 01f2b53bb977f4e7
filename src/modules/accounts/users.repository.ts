import { sql, type Selectable } from 'kysely';
import type { SqlDatabase } from '../../platform/sql/index.js';
import type { User } from './accounts.model.js';
import type { AccountsTables, UserRole, UsersTable } from './accounts.tables.js';

/** What anyone may know of a user. */
export interface PublicUser {
  id: string;
  username: string;
  createdAt: number;
}

/** A user with its password hash: never leaves the module's services. */
export interface UserRecord extends User {
  passwordHash: string;
}

function toRecord(row: Selectable<UsersTable>): UserRecord {
  return { id: row.id, username: row.username, email: row.email, createdAt: Number(row.created_at), passwordHash: row.password_hash };
}

/** The only code that queries the `users` table. */
export class UsersRepository {
  readonly #sql: SqlDatabase<AccountsTables>;

  constructor(sql: SqlDatabase<AccountsTables>) {
    this.#sql = sql;
  }

  /** Inserts a user; returns false on a unique violation (username or email taken meanwhile). */
  async insert(user: UserRecord): Promise<boolean> {
    try {
      await this.#sql.db
        .insertInto('users')
        .values({ id: user.id, username: user.username, email: user.email, password_hash: user.passwordHash, created_at: user.createdAt })
        .execute();
      return true;
    } catch (error) {
      if (this.#sql.isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Which of a (normalised) username and email are taken. */
  async taken(username: string, email: string): Promise<{ username: boolean; email: boolean }> {
    const rows = await this.#sql.db
      .selectFrom('users')
      .select(['username', 'email'])
      .where((eb) => eb.or([eb('username', '=', username), eb('email', '=', email)]))
      .execute();
    return { username: rows.some((r) => r.username === username), email: rows.some((r) => r.email === email) };
  }

  async findById(id: string): Promise<UserRecord | null> {
    const row = await this.#sql.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : toRecord(row);
  }

  /** The user's role, null when there is no such user. Read from the database each time: a demotion counts at once. */
  async roleOf(id: string): Promise<UserRole | null> {
    const row = await this.#sql.db.selectFrom('users').select('role').where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : row.role;
  }

  /** Sets the role of a (lower-case) username; false when no such user. */
  async setRole(username: string, role: UserRole): Promise<boolean> {
    const result = await this.#sql.db.updateTable('users').set({ role }).where('username', '=', username).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const row = await this.#sql.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    return row === undefined ? null : toRecord(row);
  }

  /** Public profiles of several users (no email, no hash). */
  async publicByIds(ids: readonly string[]): Promise<PublicUser[]> {
    if (ids.length === 0) return [];
    const rows = await this.#sql.db.selectFrom('users').select(['id', 'username', 'created_at']).where('id', 'in', [...ids]).execute();
    return rows.map((r) => ({ id: r.id, username: r.username, createdAt: Number(r.created_at) }));
  }

  /** Users whose name starts with `prefix` (any case), by name, after `after`. */
  async searchByPrefix(prefix: string, limit: number, after?: string): Promise<PublicUser[]> {
    // Names are stored lower-case: a lower-case pattern matches alike on SQLite, whose LIKE ignores
    // ASCII case, and PostgreSQL, whose LIKE does not. LIKE wildcards in the prefix are data.
    const pattern = `${prefix.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    let query = this.#sql.db
      .selectFrom('users')
      .select(['id', 'username', 'created_at'])
      .where(sql<boolean>`username like ${pattern} escape '\\'`)
      .orderBy('username')
      .limit(limit);
    if (after !== undefined) query = query.where('username', '>', after);
    return (await query.execute()).map((r) => ({ id: r.id, username: r.username, createdAt: Number(r.created_at) }));
  }

  async findByEmail(email: string): Promise<UserRecord | null> {
    const row = await this.#sql.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
    return row === undefined ? null : toRecord(row);
  }

  /** Replaces a password hash if it is still `previous` (a concurrent change wins). */
  async replacePasswordHash(id: string, previous: string, next: string): Promise<boolean> {
    const result = await this.#sql.db
      .updateTable('users')
      .set({ password_hash: next })
      .where('id', '=', id)
      .where('password_hash', '=', previous)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
