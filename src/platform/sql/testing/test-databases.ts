import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, describe } from 'vitest';
import { SERVICES, shouldRun } from '../../../../test/helpers/services.js';
import { PostgresDatabase } from '../postgres/postgres-database.js';
import type { SqlDatabase, SqlDialectName } from '../sql.port.js';
import { SqliteDatabase } from '../sqlite/sqlite-database.js';

/** One fresh, empty database of a dialect: a SQLite file, or a PostgreSQL schema of its own. */
export interface TestDatabase {
  readonly dialect: SqlDialectName;
  /** What another process passes to {@link connectTestDatabase} to reach this same database. */
  readonly address: string;
  /** A new connection (SQLite) or pool (PostgreSQL) on it; `dispose` closes whatever is left open. */
  connect<DB = unknown>(): SqlDatabase<DB>;
  /** Closes every connection and removes the database (file or schema). Idempotent. */
  dispose(): Promise<void>;
}

/** A dialect the SQL-touching suites run on. */
export interface TestDialect {
  readonly name: SqlDialectName;
  /** False when the server is absent here and not required (outside CI): the suites are skipped. */
  readonly available: boolean;
  /** A fresh database; disposed by the `afterAll` of {@link describeEachDialect}, or by its caller. */
  create(): Promise<TestDatabase>;
  /** A fresh database and one connection to it, the common case. */
  open<DB = unknown>(): Promise<SqlDatabase<DB>>;
  /** Disposes every database this dialect created in this test file. */
  disposeAll(): Promise<void>;
}

// Schema names carry their birth time, so that a run killed before its cleanup is swept up later.
const SCHEMA_PREFIX = 'bpt_';
const STALE_AFTER_MS = 60 * 60 * 1000;
let schemas = 0;

function newSchemaName(): string {
  return `${SCHEMA_PREFIX}${Date.now().toString(36)}_${process.pid}_${randomBytes(3).toString('hex')}_${++schemas}`;
}

/** Opens a database another process created, from its {@link TestDatabase.address}. */
export function connectTestDatabase<DB = unknown>(address: string): SqlDatabase<DB> {
  const [dialect, where] = [address.slice(0, address.indexOf(':')), address.slice(address.indexOf(':') + 1)];
  if (dialect === 'sqlite') return new SqliteDatabase<DB>({ filename: where });
  if (dialect === 'postgres') return new PostgresDatabase<DB>({ connectionString: SERVICES.postgres, schema: where, poolSize: 4 });
  throw new Error(`not a test database address: ${address}`);
}

function tracked(dialect: SqlDialectName, address: string, remove: () => Promise<void>): TestDatabase {
  const open: SqlDatabase<unknown>[] = [];
  let disposed: Promise<void> | undefined;
  return {
    dialect,
    address,
    connect<DB>() {
      if (disposed !== undefined) throw new Error('the test database was disposed');
      const database = connectTestDatabase<DB>(address);
      open.push(database as SqlDatabase<unknown>);
      return database;
    },
    dispose() {
      disposed ??= (async () => {
        await Promise.allSettled(open.splice(0).map((d) => d.close()));
        await remove();
      })();
      return disposed;
    },
  };
}

function dialectOf(name: SqlDialectName, available: boolean, create: () => Promise<TestDatabase>): TestDialect {
  const created: TestDatabase[] = [];
  return {
    name,
    available,
    async create() {
      const database = await create();
      created.push(database);
      return database;
    },
    async open<DB>() {
      return (await this.create()).connect<DB>();
    },
    async disposeAll() {
      await Promise.allSettled(created.splice(0).map((d) => d.dispose()));
    },
  };
}

const sqliteDialect = dialectOf('sqlite', true, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'blueprint-sql-'));
  return tracked('sqlite', `sqlite:${join(dir, 'test.db')}`, async () => rmSync(dir, { recursive: true, force: true }));
});

/** Runs `work` on a short-lived connection outside any test schema (creating, dropping schemas). */
async function asAdmin(work: (database: PostgresDatabase) => Promise<void>): Promise<void> {
  const database = new PostgresDatabase({ connectionString: SERVICES.postgres, poolSize: 1 });
  try {
    await work(database);
  } finally {
    await database.close();
  }
}

/** Drops the schemas of runs that died more than an hour ago (bounded: at most 200 per sweep). */
async function sweepStaleSchemas(database: PostgresDatabase): Promise<void> {
  const { rows } = await sql<{ name: string }>`select nspname as name from pg_namespace where nspname like ${`${SCHEMA_PREFIX}%`} limit 200`.execute(database.db);
  for (const { name } of rows) {
    const born = Number.parseInt(name.slice(SCHEMA_PREFIX.length).split('_')[0] ?? '', 36);
    if (Number.isFinite(born) && Date.now() - born > STALE_AFTER_MS) {
      // Another run may be sweeping the same schema: whoever loses just moves on.
      await sql`drop schema if exists ${sql.id(name)} cascade`.execute(database.db).catch(() => undefined);
    }
  }
}

let swept = false;

const postgresDialect = dialectOf('postgres', await shouldRun('postgres'), async () => {
  const schema = newSchemaName();
  await asAdmin(async (database) => {
    if (!swept) {
      swept = true;
      await sweepStaleSchemas(database);
    }
    await sql`create schema ${sql.id(schema)}`.execute(database.db);
  });
  return tracked('postgres', `postgres:${schema}`, () => asAdmin(async (database) => {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
  }));
});

/** Every dialect, SQLite first. */
export const TEST_DIALECTS: readonly TestDialect[] = [sqliteDialect, postgresDialect];

/**
 * Declares the suite once per dialect (`title [sqlite]`, `title [postgres]`), each with its own
 * databases, disposed after the suite. PostgreSQL's is skipped when its server does not answer
 * here, and fails in CI (BLUEPRINT_REQUIRE_SERVICES=1), where the server is required.
 */
export function describeEachDialect(title: string, body: (dialect: TestDialect) => void): void {
  for (const dialect of TEST_DIALECTS) {
    const label = dialect.available ? `${title} [${dialect.name}]` : `${title} [${dialect.name}: skipped, no server at ${SERVICES.postgres.replace(/\/\/[^@/]*@/, '//')}]`;
    describe.runIf(dialect.available)(label, () => {
      afterAll(() => dialect.disposeAll());
      body(dialect);
    });
  }
}
