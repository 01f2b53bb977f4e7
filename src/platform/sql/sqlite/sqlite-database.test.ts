import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runSqlContract } from '../sql.contract.js';
import { SqliteDatabase, type SqliteOptions } from './sqlite-database.js';

const dirs: string[] = [];
const opened: SqliteDatabase<unknown>[] = [];

/** A database in its own temporary directory, closed and removed after the test. */
function openTemp<DB = unknown>(options: Omit<SqliteOptions, 'filename'> = {}): SqliteDatabase<DB> {
  const dir = mkdtempSync(join(tmpdir(), 'blueprint-sql-'));
  dirs.push(dir);
  const database = new SqliteDatabase<DB>({ ...options, filename: join(dir, 'test.db') });
  opened.push(database as SqliteDatabase<unknown>);
  return database;
}

// Runs after the contract's own afterEach, so every database is already closed once here.
afterEach(async () => {
  const databases = opened.splice(0);
  await Promise.allSettled(databases.map((database) => database.close()));
  // close() may leave the handle open (see the lifecycle tests); do not leak it across tests.
  for (const database of databases) if (database.raw.open) database.raw.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

runSqlContract('SqliteDatabase', { open: async () => openTemp() });

interface Numbers {
  nums: { n: number };
}

/** A database holding `nums` with n = 1..count. */
async function withNumbers(count: number): Promise<SqliteDatabase<Numbers>> {
  const database = openTemp<Numbers>();
  await database.db.schema.createTable('nums').addColumn('n', 'integer', (c) => c.primaryKey()).execute();
  await database.db.insertInto('nums').values(Array.from({ length: count }, (_, i) => ({ n: i + 1 }))).execute();
  return database;
}

describe('SqliteDatabase (SQLite specifics)', () => {
  it('runs in WAL mode', () => {
    expect(openTemp().raw.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('sets synchronous from the option: NORMAL (1, the default), also for full, which syncs off the thread (see below)', () => {
    expect(openTemp({ synchronous: 'full' }).raw.pragma('synchronous', { simple: true })).toBe(1);
    expect(openTemp({ synchronous: 'normal' }).raw.pragma('synchronous', { simple: true })).toBe(1);
    expect(openTemp().raw.pragma('synchronous', { simple: true })).toBe(1);
  });

  it('prepares a query once and reuses the statement', async () => {
    const database = await withNumbers(3);
    const prepare = vi.spyOn(database.raw, 'prepare');
    const query = database.db.selectFrom('nums').select('n').where('n', '>', 1).orderBy('n');
    expect(await query.execute()).toEqual([{ n: 2 }, { n: 3 }]);
    expect(await query.execute()).toEqual([{ n: 2 }, { n: 3 }]);
    expect(prepare.mock.calls.filter(([text]) => text === query.compile().sql)).toHaveLength(1);
  });

  it('runs a query again while the same query is still being iterated', async () => {
    const database = await withNumbers(4);
    const query = database.db.selectFrom('nums').select('n').orderBy('n');
    await query.execute();
    const streamed: number[] = [];
    const nested: number[][] = [];
    await database.db.connection().execute(async (conn) => {
      // Kysely serialises queries on SQLite's one connection: a query sent through `db` inside
      // the loop would wait for the stream forever. So both go to the connection underneath.
      const connection = await conn.getExecutor().provideConnection(async (c) => c);
      for await (const { rows } of connection.streamQuery<{ n: number }>(query.compile(), 1)) {
        streamed.push(...rows.map((r) => r.n));
        nested.push((await connection.executeQuery<{ n: number }>(query.compile())).rows.map((r) => r.n));
      }
    });
    expect(streamed).toEqual([1, 2, 3, 4]);
    expect(nested).toEqual([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]);
    // The cached statement is free again once the stream ends.
    expect(await query.execute()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
  });

  it('rejects queries on a closed database', async () => {
    const database = await withNumbers(1);
    await database.close();
    await expect(database.db.selectFrom('nums').selectAll().execute()).rejects.toThrow();
    await expect(database.ping()).rejects.toThrow();
  });

  it('closes the file handle on close, even before its first query', async () => {
    const database = openTemp();
    await database.close();
    expect(database.raw.open).toBe(false);
  });
});

describe('SqliteDatabase synchronous: full', () => {
  it('commits at NORMAL and syncs the log before a write is acknowledged: after each commit and each autocommit write, never for reads', async () => {
    const database = openTemp<Numbers>({ synchronous: 'full' });
    expect(database.raw.pragma('synchronous', { simple: true })).toBe(1);
    await database.db.schema.createTable('nums').addColumn('n', 'integer', (c) => c.primaryKey()).execute();
    const before = database.syncs;
    await database.db.insertInto('nums').values({ n: 1 }).execute();
    expect(database.syncs).toBe(before + 1);
    await database.db.insertInto('nums').values({ n: 2 }).returning('n').execute();
    expect(database.syncs).toBe(before + 2);
    await database.db.transaction().execute(async (trx) => {
      await trx.insertInto('nums').values({ n: 3 }).execute();
      await trx.updateTable('nums').set({ n: 4 }).where('n', '=', 3).execute();
    });
    expect(database.syncs).toBe(before + 3);
    await database.db.selectFrom('nums').selectAll().execute();
    await expect(database.db.transaction().execute(async (trx) => {
      await trx.insertInto('nums').values({ n: 5 }).execute();
      throw new Error('rolled back');
    })).rejects.toThrow('rolled back');
    expect(database.syncs).toBe(before + 3);
    expect((await database.db.selectFrom('nums').select('n').orderBy('n').execute()).map((r) => r.n)).toEqual([1, 2, 4]);
  });

  it('frees the connection while a commit waits for its sync: the next transaction runs meanwhile, and each is acknowledged only once synced', async () => {
    const database = openTemp<Numbers>({ synchronous: 'full' });
    await database.db.schema.createTable('nums').addColumn('n', 'integer', (c) => c.primaryKey()).execute();
    expect(database.writeConcurrency).toBe(2);
    const before = database.syncs;
    const seen: string[] = [];
    const first = database.db.transaction().execute(async (trx) => {
      await trx.insertInto('nums').values({ n: 1 }).execute();
    }).then(() => seen.push(`first acknowledged after ${database.syncs - before} sync(s)`));
    const second = database.db.transaction().execute(async (trx) => {
      // The first has committed; its sync is on the thread pool, not yet done.
      seen.push(`second runs after ${database.syncs - before} sync(s), ${(await trx.selectFrom('nums').select('n').execute()).length} row(s) committed`);
      await trx.insertInto('nums').values({ n: 2 }).execute();
    }).then(() => seen.push(`second acknowledged after ${database.syncs - before} sync(s)`));
    await Promise.all([first, second]);
    expect(seen).toEqual(['second runs after 0 sync(s), 1 row(s) committed', 'first acknowledged after 1 sync(s)', 'second acknowledged after 2 sync(s)']);
  });

  it('leaves syncing to SQLite at normal, and for a database in memory', async () => {
    const normal = openTemp<Numbers>({ synchronous: 'normal' });
    await normal.db.schema.createTable('nums').addColumn('n', 'integer').execute();
    await normal.db.insertInto('nums').values({ n: 1 }).execute();
    expect(normal.syncs).toBe(0);
    const memory = new SqliteDatabase({ filename: ':memory:', synchronous: 'full' });
    expect(memory.raw.pragma('synchronous', { simple: true })).toBe(2);
    await memory.close();
  });
});

describe('SqliteDatabase synchronous: full, checkpoints', () => {
  interface Blobs {
    blobs: { id: number; body: string };
  }
  const body = 'x'.repeat(2_000);

  async function withBlobs(checkpoints: SqliteOptions['checkpoints']): Promise<SqliteDatabase<Blobs>> {
    const database = openTemp<Blobs>({ synchronous: 'full', checkpoints });
    await database.db.schema.createTable('blobs').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('body', 'text', (c) => c.notNull()).execute();
    return database;
  }

  async function insert(database: SqliteDatabase<Blobs>, from: number, count: number): Promise<void> {
    await database.db.insertInto('blobs').values(Array.from({ length: count }, (_, i) => ({ id: from + i, body }))).execute();
  }

  it('a database barely written to keeps SQLite’s own checkpoints and starts no thread', async () => {
    const database = await withBlobs(undefined);
    await insert(database, 1, 10);
    expect(database.checkpointer?.running).toBe(false);
    expect(database.raw.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });

  it('once written to, checkpoints the log on its own thread with the connection’s automatic checkpoints off, and the log restarts', async () => {
    const database = await withBlobs({ intervalMs: 10, startAfterSyncs: 5 });
    for (let i = 0; i < 5; i++) await insert(database, i * 10, 10);
    expect(database.checkpointer?.running).toBe(true);
    expect(database.raw.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    for (let i = 5; i < 40; i++) await insert(database, i * 10, 10);
    const checkpointer = database.checkpointer!;
    // Every frame of the log copied into the database file, by the thread.
    await vi.waitFor(() => expect(checkpointer.stats.last.log > 0 && checkpointer.stats.last.checkpointed === checkpointer.stats.last.log).toBe(true), { timeout: 5_000 });
    const full = checkpointer.stats.last.log;
    expect(full).toBeGreaterThan(40);
    // A write that finds the log wholly checkpointed starts it over from its beginning (one that
    // lands while the thread is mid-checkpoint appends instead, so a few writes may be needed): the
    // log stays bounded without the connection's checkpoints.
    let written = 0;
    await vi.waitFor(async () => {
      await insert(database, 1_000 + written++, 1);
      expect(checkpointer.stats.last.log).toBeLessThan(full);
    }, { timeout: 5_000, interval: 20 });
    expect(Number((await database.db.selectFrom('blobs').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBe(400 + written);
  });

  it('close() ends the thread; every acknowledged row is in the file when it is opened again', async () => {
    const database = await withBlobs({ intervalMs: 10, startAfterSyncs: 2 });
    for (let i = 0; i < 20; i++) await insert(database, i * 10, 10);
    expect(database.checkpointer?.running).toBe(true);
    const filename = database.raw.name;
    await database.close();
    expect(database.checkpointer?.running).toBe(false);
    const again = new SqliteDatabase<Blobs>({ filename, synchronous: 'full' });
    opened.push(again as SqliteDatabase<unknown>);
    expect(Number((await again.db.selectFrom('blobs').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBe(200);
  });
});
