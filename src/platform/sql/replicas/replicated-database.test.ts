import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../sql.port.js';
import type { ReplicaPosition, ReplicaProbe } from './replica-probe.js';
import { ReplicatedDatabase, type ReplicatedDatabaseOptions } from './replicated-database.js';

/** A stand-in database: `db` only carries its name, which the fake reads return. */
interface Fake extends SqlDatabase<unknown> {
  readonly name: string;
  closed: boolean;
}

function fake(name: string): Fake {
  return {
    name,
    closed: false,
    dialect: 'postgres',
    db: { name } as unknown as Kysely<unknown>,
    isUniqueViolation: () => false,
    isTransient: () => false,
    writeConcurrency: 5,
    migrate: async () => {},
    ping: async () => {},
    async close() {
      this.closed = true;
    },
  };
}

const nameOf = (db: Kysely<unknown>) => (db as unknown as { name: string }).name;
const read = async (db: Kysely<unknown>) => nameOf(db);

/** A probe answering from editable positions; `undefined` position = does not answer. */
function fakeProbe() {
  const state = {
    primary: 100n as bigint | undefined,
    replicas: new Map<string, Partial<ReplicaPosition> | undefined | 'hang'>(),
    calls: 0,
  };
  const probe: ReplicaProbe = {
    async primaryPosition() {
      if (state.primary === undefined) throw new Error('primary down');
      return state.primary;
    },
    async replicaPosition(replica) {
      state.calls++;
      const answer = state.replicas.get((replica as Fake).name);
      if (answer === 'hang') return new Promise<never>(() => {});
      if (answer === undefined) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return { inRecovery: true, replayed: state.primary ?? 0n, replayPaused: false, ...answer };
    },
  };
  return { state, probe };
}

function setup(replicaNames: string[], options: Partial<ReplicatedDatabaseOptions<unknown>> = {}) {
  const primary = fake('primary');
  const replicas = replicaNames.map((name) => ({ name, database: fake(name) }));
  const { state, probe } = fakeProbe();
  for (const name of replicaNames) state.replicas.set(name, {});
  const clock = { now: 0 };
  const router = new ReplicatedDatabase({ primary, replicas, probe, probeIntervalMs: 0, clock: () => clock.now, ...options });
  return { router, primary, replicas, state, clock };
}

describe('ReplicatedDatabase routing', () => {
  it('reads round robin across the replicas that are up, writes on the primary', async () => {
    const { router } = setup(['r1', 'r2', 'r3']);
    // Nothing measured yet: the primary serves.
    expect(await router.read(read)).toBe('primary');
    await router.refresh();
    const names = [];
    for (let i = 0; i < 6; i++) names.push(await router.read(read));
    expect(names).toEqual(['r1', 'r2', 'r3', 'r1', 'r2', 'r3']);
    expect(nameOf(router.writer().db)).toBe('primary');
    expect(await router.write(read)).toBe('primary');
    expect(nameOf(router.db as Kysely<unknown>)).toBe('primary');
    expect(router.status().reads).toEqual({ replica: 6, primaryAfterWrite: 0, primaryFallback: 1, retriedOnPrimary: 0 });
  });

  it('skips replicas that are down, lagging or not standbys, and falls back to the primary when none is left', async () => {
    const { router, state, clock } = setup(['r1', 'r2', 'r3'], { maxLagMs: 1_000 });
    await router.refresh();
    state.replicas.set('r1', undefined);
    state.replicas.set('r3', { inRecovery: false });
    state.primary = 200n;
    state.replicas.set('r2', { replayed: 100n });
    clock.now = 1_000;
    await router.refresh();
    expect(router.status().replicas.map((r) => [r.name, r.state, r.lagMs])).toEqual([
      ['r1', 'down', 1_000],
      ['r2', 'up', 1_000],
      ['r3', 'not-a-standby', 0],
    ]);
    expect([await router.read(read), await router.read(read)]).toEqual(['r2', 'r2']);
    clock.now = 1_001;
    expect(router.lagMs('r2')).toBe(1_001);
    expect(router.lagMs(1)).toBe(1_001);
    expect(await router.read(read)).toBe('primary');
    expect(router.status().replicas[1]).toMatchObject({ state: 'lagging', lagBytes: 100 });
    state.replicas.set('r2', { replayed: 200n });
    await router.refresh();
    expect(await router.read(read)).toBe('r2');
    expect(() => router.lagMs('r9')).toThrow(RangeError);
  });

  it('reads a key from the primary for the window after its write, then from a replica', async () => {
    const { router, clock } = setup(['r1'], { readYourWritesMs: 5_000, maxLagMs: 1_000 });
    await router.refresh();
    router.writer('alice');
    clock.now = 4_999;
    await router.refresh();
    expect(nameOf(router.reader('alice').db as Kysely<unknown>)).toBe('primary');
    expect(nameOf(router.reader('bob').db as Kysely<unknown>)).toBe('r1');
    expect(nameOf(router.reader().db as Kysely<unknown>)).toBe('r1');
    clock.now = 5_000;
    await router.refresh();
    expect(nameOf(router.reader('alice').db as Kysely<unknown>)).toBe('r1');
    expect(router.status()).toMatchObject({ trackedKeys: 1, reads: { primaryAfterWrite: 1, replica: 3 } });
  });

  it('starts the window of write() at the end of the work, however long it took', async () => {
    const { router, clock } = setup(['r1'], { readYourWritesMs: 100, maxLagMs: 50 });
    await router.write(async () => {
      clock.now = 1_000;
    }, 'alice');
    clock.now = 1_099;
    await router.refresh();
    expect(await router.read(read, 'alice')).toBe('primary');
    clock.now = 1_100;
    await router.refresh();
    expect(await router.read(read, 'alice')).toBe('r1');
  });

  it('retries on the primary a read the replica failed for its own reasons, and avoids an unreachable one', async () => {
    const { router } = setup(['r1', 'r2']);
    await router.refresh();
    const attempts: string[] = [];
    const failing = (error: Error) => async (db: Kysely<unknown>) => {
      attempts.push(nameOf(db));
      if (nameOf(db) !== 'primary') throw error;
      return 'ok';
    };
    expect(await router.read(failing(Object.assign(new Error('canceling statement due to conflict with recovery'), { code: '40001' })))).toBe('ok');
    expect(router.status().replicas[0]!.state).toBe('up');
    expect(await router.read(failing(new Error('Connection terminated unexpectedly')))).toBe('ok');
    expect(router.status().replicas[1]).toMatchObject({ state: 'down', error: 'Connection terminated unexpectedly' });
    expect(attempts).toEqual(['r1', 'primary', 'r2', 'primary']);
    expect(router.status().reads.retriedOnPrimary).toBe(2);
    // Until a probe finds r2 again, r1 alone serves.
    expect([await router.read(read), await router.read(read)]).toEqual(['r1', 'r1']);
    await router.refresh();
    expect([await router.read(read), await router.read(read)]).toEqual(['r2', 'r1']);
    // A fault of the read itself is not retried.
    const sqlError = Object.assign(new Error('relation "nope" does not exist'), { code: '42P01' });
    await expect(router.read(failing(sqlError))).rejects.toBe(sqlError);
  });

  it('keeps reading from caught-up replicas while the primary does not answer its probe', async () => {
    const { router, state, clock } = setup(['r1'], { maxLagMs: 1_000 });
    await router.refresh();
    state.primary = undefined;
    state.replicas.set('r1', { replayed: 100n });
    clock.now = 60_000;
    await router.refresh();
    expect(router.status()).toMatchObject({ primary: { up: false, error: 'primary down', position: '0/64' }, replicas: [{ state: 'up', lagMs: 0 }] });
    expect(await router.read(read)).toBe('r1');
  });

  it('counts a replica whose probe hangs as down, without piling up probes on it', async () => {
    const { router, state } = setup(['r1'], { probeTimeoutMs: 20 });
    state.replicas.set('r1', 'hang');
    await router.refresh();
    expect(router.status().replicas[0]).toMatchObject({ state: 'down', error: expect.stringMatching(/probe of r1 took over 20 ms/) });
    state.replicas.set('r1', {});
    // The hung probe never settles, so r1 is not probed again: it stays down.
    await router.refresh();
    expect(router.status().replicas[0]!.state).toBe('down');
    expect(state.calls).toBe(1);
  });

  it('tells the listener when a replica changes state', async () => {
    const changes: string[] = [];
    const { router, state } = setup(['r1'], { onReplicaChange: (s) => changes.push(`${s.name}:${s.state}`) });
    await router.refresh();
    await router.refresh();
    state.replicas.set('r1', undefined);
    await router.refresh();
    state.replicas.set('r1', {});
    await router.refresh();
    expect(changes).toEqual(['r1:up', 'r1:down', 'r1:up']);
  });

  it('probes on its own every probeIntervalMs', async () => {
    const { router } = setup(['r1'], { probeIntervalMs: 10, clock: undefined });
    await new Promise((r) => setTimeout(r, 50));
    expect(router.status().replicas[0]!.state).toBe('up');
    expect(router.status().replicas[0]!.lagMs).toBeLessThan(1_000);
    await router.close();
  });

  it('is the primary for everything else, and closes every database', async () => {
    const { router, primary, replicas } = setup(['r1']);
    expect(router.dialect).toBe('postgres');
    await router.close();
    expect([primary.closed, ...replicas.map((r) => (r.database as Fake).closed)]).toEqual([true, true]);
  });

  it('rejects a configuration under which a key could miss its own write', () => {
    expect(() => setup([], { readYourWritesMs: 1_000, maxLagMs: 1_000 })).toThrow(/maxLagMs \(1000\) must be below readYourWritesMs/);
    expect(() => setup([], { readYourWritesMs: 0, maxLagMs: 60_000 })).not.toThrow();
    expect(() => setup(['a', 'a'])).toThrow(/names must differ/);
    expect(() => setup([], { probeIntervalMs: -1 })).toThrow(RangeError);
  });
});
