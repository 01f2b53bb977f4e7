import type { Selectable } from 'kysely';
import { GroupCommit, type SqlDatabase } from '../../platform/sql/index.js';
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
  };
}

/** The only code that queries the `links` table. */
export class LinksRepository {
  readonly #sql: SqlDatabase<LinksTables>;
  // Creations arriving together share a commit: one fsync for many links.
  readonly #writes: GroupCommit<LinksTables>;

  constructor(sql: SqlDatabase<LinksTables>) {
    this.#sql = sql;
    this.#writes = new GroupCommit(sql.db);
  }

  /** Inserts a link durably; returns false when the code is taken. */
  async insert(link: Link): Promise<boolean> {
    const row = await this.#writes.run((trx) =>
      trx
        .insertInto('links')
        .values({ code: link.code, url: link.url, owner_id: link.ownerId, redirect: link.redirect, created_at: link.createdAt, expires_at: link.expiresAt })
        // A taken code is an answer, not an error: an error would abort the shared transaction.
        .onConflict((oc) => oc.column('code').doNothing())
        .returning('code')
        .executeTakeFirst(),
    );
    return row !== undefined;
  }

  async findByCode(code: string): Promise<Link | null> {
    const row = await this.#sql.db.selectFrom('links').selectAll().where('code', '=', code).executeTakeFirst();
    return row === undefined ? null : toLink(row);
  }
}
