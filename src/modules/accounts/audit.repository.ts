import type { SqlDatabase } from '../../platform/sql/index.js';
import { GroupCommit } from '../../platform/sql/index.js';
import type { AccountsTables, AuditEventsTable } from './accounts.tables.js';

/** The only code that queries `audit_events`. */
export class AuditRepository {
  readonly #sql: SqlDatabase<AccountsTables>;
  // Events of requests handled together share a commit.
  readonly #writes: GroupCommit<AccountsTables>;

  constructor(sql: SqlDatabase<AccountsTables>) {
    this.#sql = sql;
    this.#writes = GroupCommit.on(sql);
  }

  async insert(row: AuditEventsTable): Promise<void> {
    await this.#writes.run((trx) => trx.insertInto('audit_events').values(row).execute());
  }

  /** Newest first; `before` is an id in its stored (padded) form. */
  async list(query: { userId?: string | undefined; limit: number; before?: string | undefined }): Promise<AuditEventsTable[]> {
    let q = this.#sql.db.selectFrom('audit_events').selectAll();
    if (query.userId !== undefined) q = q.where('user_id', '=', query.userId);
    if (query.before !== undefined) q = q.where('id', '<', query.before);
    const rows = await q.orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map((r) => ({ ...r, at: Number(r.at) }));
  }
}
