import { sql, type Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../../test/helpers/free-port.js';
import { servicesRequired } from '../../../../test/helpers/services.js';
import { startTcpProxy } from '../../../../test/helpers/tcp-proxy.js';
import { PostgresDatabase } from '../postgres/postgres-database.js';
import type { SqlDatabase } from '../sql.port.js';
import { TEST_DIALECTS } from '../testing/test-databases.js';
import { ReplicatedDatabase, type ReplicatedDatabaseOptions } from './replicated-database.js';
import { REPLICA, REPLICA_URL, replicaScript, replicaUnavailableReason } from './testing/replica-server.js';
import { parseLsn } from './wal-timeline.js';
import { until } from '../../../../test/helpers/poll.js';

interface Tables {
  notes: { id: number; body: string };
}

const postgres = TEST_DIALECTS.find((d) => d.name === 'postgres')!;
const unavailable = await replicaUnavailableReason();
const title = 'ReplicatedDatabase on a real streaming replica';

/** `pg_is_in_recovery()` where a query runs: true on the replica, false on the primary. */
async function onReplica(db: Kysely<Tables>): Promise<boolean> {
  return (await sql<{ r: boolean }>`select pg_is_in_recovery() as r`.execute(db)).rows[0]!.r;
}

async function lsn(db: Kysely<Tables>, query: 'primary' | 'replica'): Promise<bigint> {
  const { rows } = query === 'primary'
    ? await sql<{ lsn: string }>`select pg_current_wal_lsn()::text as lsn`.execute(db)
    : await sql<{ lsn: string }>`select pg_last_wal_replay_lsn()::text as lsn`.execute(db);
  return parseLsn(rows[0]!.lsn);
}

/** Waits until the replica has replayed everything the primary has written so far. */
async function caughtUp(primary: SqlDatabase<Tables>, replica: SqlDatabase<Tables>): Promise<void> {
  const target = await lsn(primary.db, 'primary');
  await until(async () => (await lsn(replica.db, 'replica')) >= target, 'the replica replays the primary', { timeoutMs: 15_000, intervalMs: 50 });
}

const label = unavailable === undefined ? title : servicesRequired ? `${title} [required, but ${unavailable}]` : `${title} [skipped: ${unavailable}]`;
if (unavailable !== undefined && !servicesRequired) {
  console.log(`Skipping the read-replica suite: ${unavailable}. Set BLUEPRINT_REQUIRE_SERVICES=1 to make this fail.`);
}

describe.runIf(unavailable === undefined || servicesRequired)(label, () => {
  let primary: SqlDatabase<Tables>;
  let replica: SqlDatabase<Tables>;
  const opened: { close(): Promise<void> }[] = [];
  let now = 0;
  const clock = () => now;

  /** A router over this test's schema, probing only when told (refresh), on the test's clock. */
  function replicated(replicas = [{ name: `replica:${REPLICA.port}`, database: replica }], options: Partial<ReplicatedDatabaseOptions<Tables>> = {}) {
    return new ReplicatedDatabase<Tables>({ primary, replicas, probeIntervalMs: 0, readYourWritesMs: 5_000, maxLagMs: 2_000, clock, ...options });
  }

  /**
   * Measures at the current test time until the replica holds the primary's reading: the primary
   * is shared with other suites, whose writes must not read as lag when the test clock jumps.
   */
  async function settle(router: ReplicatedDatabase<Tables>): Promise<void> {
    await router.refresh();
    await caughtUp(primary, replica);
    await router.refresh();
  }

  beforeAll(async () => {
    if (unavailable !== undefined) throw new Error(`BLUEPRINT_REQUIRE_SERVICES=1, but the replica cannot be set up: ${unavailable}`);
    await replicaScript('start');
  }, 75_000);

  afterEach(async () => {
    await Promise.allSettled(opened.splice(0).map((d) => d.close()));
    await postgres.disposeAll();
    now = 0;
  });

  afterAll(() => postgres.disposeAll());

  /** A fresh schema of its own on the primary, one pool to it on each server, a `notes` table. */
  async function openSchema(): Promise<void> {
    const database = await postgres.create();
    const schema = database.address.slice('postgres:'.length);
    primary = database.connect<Tables>();
    replica = new PostgresDatabase<Tables>({ connectionString: REPLICA_URL, schema, poolSize: 2 });
    opened.push(replica);
    await primary.db.schema.createTable('notes').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('body', 'text').execute();
    await caughtUp(primary, replica);
  }

  it('streams: a write on the primary becomes visible on the replica, which refuses writes', async () => {
    await openSchema();
    expect(await onReplica(replica.db)).toBe(true);
    await primary.db.insertInto('notes').values({ id: 1, body: 'streamed' }).execute();
    await until(async () => (await replica.db.selectFrom('notes').selectAll().execute()).length === 1, 'the row reaches the replica', { timeoutMs: 15_000, intervalMs: 50 });
    expect(await replica.db.selectFrom('notes').selectAll().execute()).toEqual([{ id: 1, body: 'streamed' }]);
    await expect(replica.db.insertInto('notes').values({ id: 2, body: 'x' }).execute()).rejects.toThrow(/read-only transaction/);
    expect(await replicaScript('status', 10)).toMatch(/in recovery:\s+t[\s\S]*wal receiver:\s+streaming/);
  });

  it('reads from the replica a caller without recent writes, writes on the primary', async () => {
    await openSchema();
    const router = replicated();
    await router.refresh();
    expect(router.status().replicas[0]).toMatchObject({ state: 'up', lagBytes: 0, replayPaused: false });
    expect(await onReplica(router.reader().db)).toBe(true);
    expect(await onReplica(router.reader('nobody-wrote').db)).toBe(true);
    expect(await router.read((db) => onReplica(db))).toBe(true);
    expect(await onReplica(router.writer().db)).toBe(false);
    expect(await router.write((db) => onReplica(db))).toBe(false);
    expect(router.status().reads).toMatchObject({ replica: 3, primaryFallback: 0 });
    // Code that knows only the SqlDatabase port reads through a view routed the same way.
    const view = router.readView();
    expect(await onReplica(view.db)).toBe(true);
    await expect(view.migrate({})).rejects.toThrow(/primary/);
  });

  it('reads a writer\'s key from the primary within the window, from the replica after it', async () => {
    await openSchema();
    const router = replicated();
    await router.refresh();
    await router.write((db) => db.insertInto('notes').values({ id: 1, body: 'mine' }).execute(), 'alice');

    now = 4_999;
    await settle(router);
    expect(await router.read((db) => onReplica(db), 'alice')).toBe(false);
    expect(await router.read((db) => db.selectFrom('notes').select('body').execute(), 'alice')).toEqual([{ body: 'mine' }]);
    expect(await router.read((db) => onReplica(db), 'bob')).toBe(true);

    now = 5_000;
    await settle(router);
    expect(await router.read((db) => onReplica(db), 'alice')).toBe(true);
    expect(await router.read((db) => db.selectFrom('notes').select('body').execute(), 'alice')).toEqual([{ body: 'mine' }]);
  });

  it('falls back to the primary when a replica does not answer, and still reads', async () => {
    await openSchema();
    const nowhere = new PostgresDatabase<Tables>({ connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/test`, poolSize: 1 });
    opened.push(nowhere);
    const router = replicated([{ name: 'nowhere', database: nowhere }]);
    // Before any probe a replica is unknown, and not read from either.
    expect(await router.read((db) => onReplica(db))).toBe(false);
    await router.refresh();
    expect(router.status().replicas[0]).toMatchObject({ state: 'down', error: expect.stringMatching(/ECONNREFUSED|connect/) });
    expect(await onReplica(router.reader().db)).toBe(false);
    await primary.db.insertInto('notes').values({ id: 1, body: 'still here' }).execute();
    expect(await router.read((db) => db.selectFrom('notes').select('body').execute())).toEqual([{ body: 'still here' }]);
  });

  it('retries on the primary a read whose replica went away since its probe, and avoids that replica until it is back', async () => {
    await openSchema();
    const proxy = await startTcpProxy(REPLICA_URL);
    opened.push(proxy);
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(primary.db)).rows[0]!.s;
    const viaProxy = new PostgresDatabase<Tables>({ connectionString: proxy.via(REPLICA_URL), schema, poolSize: 1 });
    opened.push(viaProxy);
    const changes: string[] = [];
    const router = replicated([{ name: 'proxied', database: viaProxy }], { onReplicaChange: (s) => changes.push(s.state) });
    await router.refresh();
    expect(await router.read((db) => onReplica(db))).toBe(true);

    proxy.cut();
    expect(await router.read((db) => onReplica(db))).toBe(false);
    expect(router.status().replicas[0]!.state).toBe('down');
    expect(router.status().reads.retriedOnPrimary).toBe(1);
    expect(await onReplica(router.reader().db)).toBe(false);

    proxy.heal();
    await router.refresh();
    expect(await router.read((db) => onReplica(db))).toBe(true);
    expect(changes).toEqual(['up', 'down', 'up']);
  });

  it('avoids a replica whose replay is paused once it lags beyond the bound, until it catches up', async () => {
    await openSchema();
    const router = replicated();
    await router.refresh();
    expect(router.status().replicas[0]!.state).toBe('up');
    try {
      await sql`select pg_wal_replay_pause()`.execute(replica.db);
      await until(async () => (await sql<{ s: string }>`select pg_get_wal_replay_pause_state() as s`.execute(replica.db)).rows[0]!.s === 'paused', 'replay pauses', { timeoutMs: 15_000, intervalMs: 50 });
      await primary.db.insertInto('notes').values({ id: 1, body: 'late' }).execute();

      now = 1_000;
      await router.refresh();
      expect(router.status().replicas[0]).toMatchObject({ state: 'up', lagMs: 1_000, replayPaused: true, lagBytes: expect.any(Number) });
      expect(router.status().replicas[0]!.lagBytes).toBeGreaterThan(0);
      expect(await router.read((db) => db.selectFrom('notes').select('body').execute())).toEqual([]);

      now = 2_001;
      await router.refresh();
      expect(router.status().replicas[0]).toMatchObject({ state: 'lagging', lagMs: 2_001 });
      expect(router.lagMs(`replica:${REPLICA.port}`)).toBe(2_001);
      expect(await onReplica(router.reader().db)).toBe(false);
      expect(await router.read((db) => db.selectFrom('notes').select('body').execute())).toEqual([{ body: 'late' }]);
    } finally {
      await sql`select pg_wal_replay_resume()`.execute(replica.db);
    }
    await settle(router);
    expect(router.status().replicas[0]).toMatchObject({ state: 'up', lagMs: 0, replayPaused: false });
    expect(await onReplica(router.reader().db)).toBe(true);
    expect(await router.read((db) => db.selectFrom('notes').select('body').execute())).toEqual([{ body: 'late' }]);
  });

  it('does not read from a "replica" that is not a standby', async () => {
    await openSchema();
    const router = replicated([{ name: 'the-primary-again', database: primary }]);
    await router.refresh();
    expect(router.status().replicas[0]).toMatchObject({ state: 'not-a-standby' });
    expect(router.reader()).toBe(primary);
  });
});
