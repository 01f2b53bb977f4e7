import { sql } from 'kysely';
import type { SqlDatabase } from '../sql.port.js';
import { parseLsn } from './wal-timeline.js';

/** What a replica says about itself at a probe. */
export interface ReplicaPosition {
  /** False for a server that is not a standby (promoted, or a primary listed as a replica). */
  readonly inRecovery: boolean;
  /** Byte offset in the WAL up to which it has applied the primary's changes. */
  readonly replayed: bigint;
  /** Whether replay is paused (`pg_wal_replay_pause()`): it receives WAL but applies none. */
  readonly replayPaused: boolean;
}

/**
 * How the router measures replication. Each call throws when the server does not answer, which
 * is also the replica's health check.
 */
export interface ReplicaProbe {
  /** The primary's WAL position: every commit acknowledged before the call lies at or before it. */
  primaryPosition(primary: SqlDatabase<unknown>): Promise<bigint>;
  /** Where a replica stands. */
  replicaPosition(replica: SqlDatabase<unknown>): Promise<ReplicaPosition>;
}

/**
 * PostgreSQL streaming replication, measured in WAL bytes: `pg_current_wal_lsn()` on the primary,
 * `pg_last_wal_replay_lsn()` on the replica; {@link WalTimeline} turns bytes into milliseconds.
 *
 * Why not the other two usual measures:
 * - `now() - pg_last_xact_replay_timestamp()` on the replica is the age of the last replayed
 *   commit: on an idle primary it grows without bound while the replica is perfectly current.
 * - a heartbeat row the primary updates every interval (replica lag = now - its timestamp) is
 *   exact to the interval, but it writes WAL forever, needs a writable table of its own, and
 *   compares two machines' clocks.
 * Positions need no table and no writes, stand still when the primary is idle, and see a replica
 * whose replay is stuck (paused, or blocked by a conflicting query) fall behind at once.
 *
 * The primary's write position (`pg_current_wal_lsn`) is the right one to compare: the insert
 * position can point past a page header a replica never "replays" (after a WAL switch), and with
 * `synchronous_commit = on` (the default) an acknowledged commit is flushed, so written. With it
 * off, a commit can sit in WAL buffers for up to `wal_writer_delay` (200 ms) and the lag reads low
 * by that much.
 */
export const postgresReplicaProbe: ReplicaProbe = {
  async primaryPosition(primary) {
    const { rows } = await sql<{ lsn: string }>`select pg_current_wal_lsn()::text as lsn`.execute(primary.db);
    return parseLsn(rows[0]!.lsn);
  },

  async replicaPosition(replica) {
    // pg_is_wal_replay_paused() throws outside recovery; CASE evaluates it only within.
    const { rows } = await sql<{ in_recovery: boolean; replayed: string | null; paused: boolean }>`
      select pg_is_in_recovery() as in_recovery,
             pg_last_wal_replay_lsn()::text as replayed,
             case when pg_is_in_recovery() then pg_is_wal_replay_paused() else false end as paused`.execute(replica.db);
    const row = rows[0]!;
    return { inRecovery: row.in_recovery, replayed: row.replayed === null ? 0n : parseLsn(row.replayed), replayPaused: row.paused };
  },
};

/** `promise`, or a rejection naming `what` once `ms` have passed (the promise itself runs on). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
