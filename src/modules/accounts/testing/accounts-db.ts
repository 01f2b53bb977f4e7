import { ManualClock } from '../../../platform/clock/index.js';
import { SnowflakeIdGenerator } from '../../../platform/ids/index.js';
import { tablesOf, type SqlDatabase } from '../../../platform/sql/index.js';
import type { TestDialect } from '../../../platform/sql/testing/test-databases.js';
import { accountsMigrations } from '../accounts.migrations.js';
import type { AccountsTables } from '../accounts.tables.js';

/** A fresh database of the dialect with the accounts schema, a manual clock and an id generator. */
export async function openAccountsDb(dialect: TestDialect): Promise<{ sql: SqlDatabase<AccountsTables>; clock: ManualClock; ids: SnowflakeIdGenerator; close(): Promise<void> }> {
  const raw = await dialect.open();
  await raw.migrate(accountsMigrations);
  const clock = new ManualClock(Date.UTC(2026, 3, 1));
  return { sql: tablesOf<AccountsTables>(raw), clock, ids: new SnowflakeIdGenerator(clock, 7), close: () => raw.close() };
}

/** Inserts a user row directly (no hashing), for tests of other tables. */
export async function insertUser(sql: SqlDatabase<AccountsTables>, id: string, username: string): Promise<void> {
  await sql.db.insertInto('users').values({ id, username, email: `${username}@example.com`, password_hash: 'x', created_at: 0 }).execute();
}
