import { sql, type Selectable } from 'kysely';
import { GroupCommit, param, Precompiled, type SqlDatabase } from '../../platform/sql/index.js';
import type { Link } from './links.model.js';
import type { LinksTable, LinksTables } from './links.tables.js';

function toLink(row: Selectable<LinksTable>): Link {
  return {
    code: row.code,
    url: row.url,
    ownerId: row.owner_id,
    redirect: row.redirect === 301 ? 301 : 302,
    createdAt: Number(row.created_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    publicStats: Number(row.public_stats) === 1,
  };
}

// Built once (a creation is the hot write path: building and compiling it cost more than SQLite's insert).
const insertStatement = new Precompiled<{ code: string; url: string; owner: string | null; redirect: number; created: number; expires: number | null; publicStats: number }, { code: string }>((db) =>
  db
    .insertInto('links')
    .values({ code: param('code'), url: param('url'), owner_id: param('owner'), redirect: param('redirect'), created_at: param('created'), expires_at: param('expires'), public_stats: param('publicStats') })
    // A taken code is an answer, not an error: an error would abort the shared transaction.
    .onConflict((oc) => oc.column('code').doNothing())
    .returning('code'),
);

/** The only code that queries the `links` table. */
export class LinksRepository {
  readonly #sql: SqlDatabase<LinksTables>;
  // Creations arriving together share a commit: one fsync for many links.
  readonly #writes: GroupCommit<LinksTables>;

  constructor(sql: SqlDatabase<LinksTables>) {
    this.#sql = sql;
    this.#writes = GroupCommit.on(sql);
  }

  /** Inserts a link durably; returns false when the code is taken. */
  async insert(link: Link): Promise<boolean> {
    const row = await this.#writes.run((trx) =>
      insertStatement.first(trx, { code: link.code, url: link.url, owner: link.ownerId, redirect: link.redirect, created: link.createdAt, expires: link.expiresAt, publicStats: link.publicStats ? 1 : 0 }),
    );
    return row !== undefined;
  }

  /** A link that has not been deleted. */
  async findByCode(code: string): Promise<Link | null> {
    const row = await this.#sql.db.selectFrom('links').selectAll().where('code', '=', code).where('deleted_at', 'is', null).executeTakeFirst();
    return row === undefined ? null : toLink(row);
  }

  /**
   * An owner's links, newest first, after the cursor position `(createdAt, code)`; with `search`,
   * only those whose code or target contains it (case-insensitive; `%` and `_` match themselves).
   */
  async listByOwner(ownerId: string, limit: number, after?: { createdAt: number; code: string }, search?: string): Promise<Link[]> {
    let query = this.#sql.db
      .selectFrom('links')
      .selectAll()
      .where('owner_id', '=', ownerId)
      .where('deleted_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('code', 'desc')
      .limit(limit);
    if (after !== undefined) {
      query = query.where((eb) => eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('code', '<', after.code)])]));
    }
    if (search !== undefined && search !== '') {
      const pattern = `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query = query.where(sql<boolean>`(lower(code) like ${pattern} escape '\\' or lower(url) like ${pattern} escape '\\')`);
    }
    return (await query.execute()).map(toLink);
  }

  /** Changes a live link's target, expiry or redirect status; returns the link as stored, or null. */
  async update(code: string, patch: Partial<Pick<Link, 'url' | 'expiresAt' | 'redirect' | 'publicStats'>>): Promise<Link | null> {
    const values: { url?: string; expires_at?: number | null; redirect?: number; public_stats?: number } = {};
    if (patch.publicStats !== undefined) values.public_stats = patch.publicStats ? 1 : 0;
    if (patch.url !== undefined) values.url = patch.url;
    if (patch.expiresAt !== undefined) values.expires_at = patch.expiresAt;
    if (patch.redirect !== undefined) values.redirect = patch.redirect;
    await this.#sql.db.updateTable('links').set(values).where('code', '=', code).where('deleted_at', 'is', null).execute();
    return this.findByCode(code);
  }

  /** Marks a link deleted; the code stays taken. Returns whether a live link was deleted. */
  async markDeleted(code: string, at: number): Promise<boolean> {
    const result = await this.#sql.db.updateTable('links').set({ deleted_at: at }).where('code', '=', code).where('deleted_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
