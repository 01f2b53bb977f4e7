import { join } from 'node:path';
import type { Config } from '../config/index.js';
import type { SqlDatabase } from '../platform/sql/index.js';
import { SqliteDatabase } from '../platform/sql/sqlite/sqlite-database.js';
import { API_MODULES } from './api-modules.js';
import { openPostgres } from './adapters.js';
import { migrationsOf } from './modules.js';

/** The main database for a command-line tool, migrated as the API role would (no replicas, no pool events). */
export async function openMainDatabase(config: Config): Promise<SqlDatabase<unknown>> {
  const sql: SqlDatabase<unknown> =
    config.DATABASE_URL === undefined
      ? new SqliteDatabase({ filename: join(config.DATA_DIR, 'blueprint.db'), synchronous: config.SQLITE_SYNCHRONOUS })
      : openPostgres(config, config.DATABASE_URL, { schema: config.DATABASE_SCHEMA, poolSize: 1 });
  await sql.migrate(migrationsOf(API_MODULES, sql.dialect));
  return sql;
}
