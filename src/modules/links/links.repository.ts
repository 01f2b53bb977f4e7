import { sql, type Selectable } from 'kysely';
import { BulkInsert, deferredWrites, GroupCommit, type DeferredKind, type SqlDatabase } from '../../platform/sql/index.js';
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

const LINK_COLUMNS = ['code', 'url', 'owner_id', 'redirect', 'created_at', 'expires_at', 'public_stats'] as const;
// A taken code is an answer, not an error (an error would abort the shared transaction): the
// statement returns the codes it inserted, and a link whose code is not among them was refused.
const insertLinks = new BulkInsert<Record<(typeof LINK_COLUMNS)[number], unknown>>('links', LINK_COLUMNS, {
  modify: (q) => q.onConflict((oc) => oc.column('code').doNothing()).returning('code'),
});

/** A link waiting for its group's insert, and what the insert made of it. */
interface PendingLink {
  readonly code: string;
  readonly row: readonly unknown[];
  inserted: boolean;
}

/**
 * The links of one group commit go in one multi-row INSERT at the end of its transaction (see
 * deferredWrites) rather than one statement each: creation is the hot write path, and each
 * statement costs far more in the query layer than SQLite spends inserting a row. Of two links
 * of a group with one code, the first is inserted and the second told it is taken.
 */
const linksKind: DeferredKind<PendingLink> = {
  name: 'links',
  order: 0,
  async flush(db, items) {
    const codes = new Set<string>();
    const unique: PendingLink[] = [];
    for (const item of items) {
      item.inserted = false;
      if (!codes.has(item.code)) {
        codes.add(item.code);
        unique.push(item);
      }
    }
    const returned = await insertLinks.insertReturning<{ code: string }>(
      db,
      unique.map((item) => item.row),
    );
    const inserted = new Set(returned.map((r) => r.code));
    for (const item of unique) item.inserted = inserted.has(item.code);
  },
};

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
    const pending: PendingLink = {
      code: link.code,
      row: [link.code, link.url, link.ownerId, link.redirect, link.createdAt, link.expiresAt, link.publicStats ? 1 : 0],
      inserted: false,
    };
    await this.#writes.run(async (trx) => {
      if (!deferredWrites.defer(trx, linksKind, pending)) await linksKind.flush(trx, [pending]);
    });
    return pending.inserted;
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
