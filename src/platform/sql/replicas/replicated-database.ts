import { performance } from 'node:perf_hooks';
import type { Kysely, Migration } from 'kysely';
import type { SqlDatabase, SqlDialectName } from '../sql.port.js';
import { RecentWrites } from './recent-writes.js';
import { classifyReplicaError } from './replica-errors.js';
import { postgresReplicaProbe, withTimeout, type ReplicaProbe } from './replica-probe.js';
import type { ReplicaState, ReplicaStatus, ReplicationStatus } from './replication-status.js';
import { formatLsn, WalTimeline } from './wal-timeline.js';

/** A replica and the name it goes by in status and metrics (e.g. `host:port`, never credentials). */
export interface NamedReplica<DB> {
  readonly name: string;
  readonly database: SqlDatabase<DB>;
}

export interface ReplicatedDatabaseOptions<DB> {
  primary: SqlDatabase<DB>;
  replicas: readonly NamedReplica<DB>[];
  /** After a write, how long its key reads from the primary, in ms (default 5000; 0: never). */
  readYourWritesMs?: number;
  /** A replica further behind than this, in ms, is not read from (default 2000; below readYourWritesMs). */
  maxLagMs?: number;
  /** How often the replicas are measured, in ms (default 500); 0 measures only on {@link ReplicatedDatabase.refresh}. */
  probeIntervalMs?: number;
  /** A probe that takes longer counts as failed (default 2000 ms). */
  probeTimeoutMs?: number;
  /** Most keys whose recent writes are remembered (default 100000); see {@link RecentWrites}. */
  maxTrackedKeys?: number;
  /** How replication is measured (default: PostgreSQL WAL positions, {@link postgresReplicaProbe}). */
  probe?: ReplicaProbe;
  /** Milliseconds, monotonic (default `performance.now`). Tests inject theirs. */
  clock?: () => number;
  /** Told when a replica changes state (starts or stops serving reads), e.g. to log it. */
  onReplicaChange?: (status: ReplicaStatus) => void;
}

interface Replica<DB> {
  readonly name: string;
  readonly database: SqlDatabase<DB>;
  reachable: boolean | undefined;
  inRecovery: boolean;
  replayed: bigint | undefined;
  replayPaused: boolean;
  checkedAt: number | undefined;
  error: string | undefined;
  probing: boolean;
  reported: ReplicaState;
}

/**
 * A primary and its read replicas behind one object. Writes and transactions go to the primary;
 * reads go to the replicas, round robin among those that answer and are no further behind than
 * `maxLagMs`, else to the primary. A caller that wrote (named by a consistency key: a user, a
 * session) reads from the primary for `readYourWritesMs` afterwards, so it sees its own writes:
 * a replica is used for it only once the window has passed, and then holds everything committed
 * more than `maxLagMs` ago, hence `maxLagMs < readYourWritesMs`.
 *
 * It is itself a {@link SqlDatabase} whose `db` is the primary's, so code that knows nothing of
 * replicas keeps working; repositories opt in with {@link reader}/{@link writer} or
 * {@link read}/{@link write}. The window is kept per process: behind a load balancer, route a
 * session to one process (IP hash, sticky) or give it the key's writes through shared state.
 */
export class ReplicatedDatabase<DB = unknown> implements SqlDatabase<DB> {
  readonly dialect: SqlDialectName;
  readonly db: Kysely<DB>;
  readonly #primary: SqlDatabase<DB>;
  readonly #replicas: Replica<DB>[];
  readonly #maxLagMs: number;
  readonly #probeTimeoutMs: number;
  readonly #probe: ReplicaProbe;
  readonly #clock: () => number;
  readonly #onReplicaChange: ((status: ReplicaStatus) => void) | undefined;
  readonly #writes: RecentWrites;
  readonly #timeline: WalTimeline;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #reads = { replica: 0, primaryAfterWrite: 0, primaryFallback: 0, retriedOnPrimary: 0 };
  #primaryState: { up: boolean; checkedAt: number | undefined; error: string | undefined } = { up: false, checkedAt: undefined, error: undefined };
  #next = 0;
  #refreshing: Promise<void> | undefined;
  #closed = false;

  constructor(options: ReplicatedDatabaseOptions<DB>) {
    const readYourWritesMs = options.readYourWritesMs ?? 5_000;
    const maxLagMs = options.maxLagMs ?? 2_000;
    const probeIntervalMs = options.probeIntervalMs ?? 500;
    const probeTimeoutMs = options.probeTimeoutMs ?? 2_000;
    for (const [name, value] of Object.entries({ readYourWritesMs, maxLagMs, probeIntervalMs, probeTimeoutMs })) {
      if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`${name} must be a number >= 0, got ${value}`);
    }
    if (readYourWritesMs > 0 && maxLagMs >= readYourWritesMs) {
      throw new RangeError(`maxLagMs (${maxLagMs}) must be below readYourWritesMs (${readYourWritesMs}): a replica that far behind could miss a write whose window has passed`);
    }
    const names = options.replicas.map((r) => r.name);
    if (new Set(names).size !== names.length) throw new RangeError(`replica names must differ, got ${names.join(', ')}`);
    this.#primary = options.primary;
    this.dialect = options.primary.dialect;
    this.db = options.primary.db;
    this.#replicas = options.replicas.map((r) => ({
      name: r.name, database: r.database, reachable: undefined, inRecovery: false, replayed: undefined,
      replayPaused: false, checkedAt: undefined, error: undefined, probing: false, reported: 'unknown',
    }));
    this.#maxLagMs = maxLagMs;
    this.#probeTimeoutMs = probeTimeoutMs;
    this.#probe = options.probe ?? postgresReplicaProbe;
    this.#clock = options.clock ?? (() => performance.now());
    this.#onReplicaChange = options.onReplicaChange;
    this.#writes = new RecentWrites({ windowMs: readYourWritesMs, maxKeys: options.maxTrackedKeys ?? 100_000 });
    this.#timeline = new WalTimeline({ retainMs: Math.max(60_000, 2 * (maxLagMs + probeIntervalMs)) });
    if (probeIntervalMs > 0 && this.#replicas.length > 0) {
      void this.refresh();
      this.#timer = setInterval(() => void this.refresh(), probeIntervalMs);
      this.#timer.unref();
    }
  }

  /**
   * Where to read: a usable replica (round robin), or the primary when `consistencyKey` wrote
   * within the window or no replica is usable. The answer is for one read or one read-only
   * transaction: ask again for the next, as replicas come and go.
   */
  reader(consistencyKey?: string): SqlDatabase<DB> {
    return this.#route(consistencyKey)?.database ?? this.#primary;
  }

  /**
   * A database whose every query is routed as `reader()` routes (no consistency key): for reads
   * that tolerate the replicas' bounded lag, such as reports, handed to code that only knows the
   * SqlDatabase port. Migrations are the primary's business, not the view's.
   */
  readView(): SqlDatabase<DB> {
    const reader = () => this.reader();
    return {
      dialect: this.dialect,
      get db() {
        return reader().db;
      },
      isUniqueViolation: (error) => this.isUniqueViolation(error),
      isTransient: (error) => this.isTransient(error),
      writeConcurrency: this.writeConcurrency,
      migrate: () => Promise.reject(new Error('a read view does not migrate: run migrations on the primary')),
      ping: () => this.ping(),
      close: async () => {},
    };
  }

  /**
   * The primary, for writes and transactions; notes that `consistencyKey` (if given) writes now.
   * The window starts here, before the commit: a write that may take longer than
   * `readYourWritesMs - maxLagMs` to commit goes through {@link write}, or calls this again after.
   */
  writer(consistencyKey?: string): SqlDatabase<DB> {
    if (consistencyKey !== undefined) this.#writes.record(consistencyKey, this.#clock());
    return this.#primary;
  }

  /**
   * Runs a read where {@link reader} says; if the replica fails it for a reason of its own (it is
   * unreachable, shutting down, or cancelled the query in a recovery conflict), runs it again on
   * the primary, and avoids an unreachable replica until a probe finds it again. `work` must only
   * read, and may thus run twice.
   */
  async read<T>(work: (db: Kysely<DB>) => Promise<T>, consistencyKey?: string): Promise<T> {
    const replica = this.#route(consistencyKey);
    if (replica === undefined) return work(this.#primary.db);
    try {
      return await work(replica.database.db);
    } catch (error) {
      const kind = classifyReplicaError(error);
      if (kind === undefined) throw error;
      if (kind === 'unavailable') {
        replica.reachable = false;
        replica.error = errorMessage(error);
        this.#report(replica);
      }
      this.#reads.retriedOnPrimary++;
      return work(this.#primary.db);
    }
  }

  /**
   * Runs a write on the primary, noting `consistencyKey`'s write both before and after it: the
   * window then starts at the commit, however long the work took.
   */
  async write<T>(work: (db: Kysely<DB>) => Promise<T>, consistencyKey?: string): Promise<T> {
    try {
      return await work(this.writer(consistencyKey).db);
    } finally {
      if (consistencyKey !== undefined) this.#writes.record(consistencyKey, this.#clock());
    }
  }

  /** A replica's staleness now, in ms, by name or index; undefined until measured or if unknown. */
  lagMs(replica: string | number): number | undefined {
    const found = typeof replica === 'number' ? this.#replicas[replica] : this.#replicas.find((r) => r.name === replica);
    if (found === undefined) throw new RangeError(`no replica ${JSON.stringify(replica)}`);
    return this.#lagOf(found, this.#clock());
  }

  /** Everything worth a metric or a console: per replica state and lag, routing counts. */
  status(): ReplicationStatus {
    const now = this.#clock();
    const newest = this.#timeline.newest;
    return {
      primary: { ...this.#primaryState, position: newest === undefined ? undefined : formatLsn(newest) },
      replicas: this.#replicas.map((r) => this.#statusOf(r, now)),
      reads: { ...this.#reads },
      trackedKeys: this.#writes.size,
      evictedKeys: this.#writes.evictions,
    };
  }

  /**
   * Measures the primary's WAL position, then every replica's (health and lag) at once; the timer
   * calls it every `probeIntervalMs`. Never rejects; concurrent calls share one round.
   */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#probeAll().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  isUniqueViolation(error: unknown): boolean {
    return this.#primary.isUniqueViolation(error);
  }

  isTransient(error: unknown): boolean {
    return this.#primary.isTransient(error);
  }

  get writeConcurrency(): number {
    return this.#primary.writeConcurrency;
  }

  /** Migrates the primary; the replicas follow by replication. */
  migrate(migrations: Record<string, Migration>): Promise<void> {
    return this.#primary.migrate(migrations);
  }

  /** Pings the primary: without it nothing can be written; replicas are optional (see {@link status}). */
  ping(): Promise<void> {
    return this.#primary.ping();
  }

  /** Stops probing and closes the primary and every replica. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#refreshing;
    const results = await Promise.allSettled([this.#primary, ...this.#replicas.map((r) => r.database)].map((d) => d.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  #route(consistencyKey: string | undefined): Replica<DB> | undefined {
    const now = this.#clock();
    if (consistencyKey !== undefined && this.#writes.isRecent(consistencyKey, now)) {
      this.#reads.primaryAfterWrite++;
      return undefined;
    }
    const count = this.#replicas.length;
    for (let i = 0; i < count; i++) {
      const index = (this.#next + i) % count;
      const replica = this.#replicas[index]!;
      if (this.#stateOf(replica, now) === 'up') {
        this.#next = (index + 1) % count;
        this.#reads.replica++;
        return replica;
      }
    }
    this.#reads.primaryFallback++;
    return undefined;
  }

  #lagOf(replica: Replica<DB>, now: number): number | undefined {
    if (replica.replayed === undefined) return undefined;
    // The primary does not answer, so it takes no writes we could miss: a replica that holds all it
    // last reported (or all we know, if it never answered) is as current as can be; reads go on.
    if (!this.#primaryState.up && (this.#timeline.newest === undefined || this.#timeline.caughtUp(replica.replayed))) return 0;
    const freshAsOf = this.#timeline.freshAsOf(replica.replayed);
    return freshAsOf === undefined ? undefined : Math.max(0, now - freshAsOf);
  }

  #stateOf(replica: Replica<DB>, now: number): ReplicaState {
    if (replica.reachable === undefined) return 'unknown';
    if (!replica.reachable) return 'down';
    if (!replica.inRecovery) return 'not-a-standby';
    const lag = this.#lagOf(replica, now);
    return lag !== undefined && lag <= this.#maxLagMs ? 'up' : 'lagging';
  }

  #statusOf(replica: Replica<DB>, now: number): ReplicaStatus {
    return {
      name: replica.name,
      state: this.#stateOf(replica, now),
      lagMs: this.#lagOf(replica, now),
      lagBytes: replica.replayed === undefined ? undefined : this.#timeline.bytesBehind(replica.replayed),
      replayPaused: replica.replayPaused,
      checkedAt: replica.checkedAt,
      error: replica.error,
    };
  }

  /** Tells the listener when a replica's state changed since it was last told. */
  #report(replica: Replica<DB>): void {
    const status = this.#statusOf(replica, this.#clock());
    if (status.state === replica.reported) return;
    replica.reported = status.state;
    try {
      this.#onReplicaChange?.(status);
    } catch {
      // A listener's failure is its own; routing goes on.
    }
  }

  async #probeAll(): Promise<void> {
    if (this.#closed) return;
    // The primary first: a replica compared with a later reading could only look further behind.
    const at = this.#clock();
    try {
      this.#timeline.record(at, await withTimeout(this.#probe.primaryPosition(this.#primary as SqlDatabase<unknown>), this.#probeTimeoutMs, 'the probe of the primary'));
      this.#primaryState = { up: true, checkedAt: at, error: undefined };
    } catch (error) {
      this.#primaryState = { up: false, checkedAt: at, error: errorMessage(error) };
    }
    await Promise.all(this.#replicas.map((r) => this.#probeReplica(r)));
  }

  async #probeReplica(replica: Replica<DB>): Promise<void> {
    // A probe that timed out may still hang; the replica stays down until one completes.
    if (replica.probing) return;
    replica.probing = true;
    const pending = this.#probe.replicaPosition(replica.database as SqlDatabase<unknown>).finally(() => {
      replica.probing = false;
    });
    try {
      const position = await withTimeout(pending, this.#probeTimeoutMs, `the probe of ${replica.name}`);
      replica.reachable = true;
      replica.inRecovery = position.inRecovery;
      replica.replayed = position.replayed;
      replica.replayPaused = position.replayPaused;
      replica.error = position.inRecovery ? undefined : 'not in recovery: not a standby of the primary';
    } catch (error) {
      replica.reachable = false;
      replica.error = errorMessage(error);
    }
    replica.checkedAt = this.#clock();
    this.#report(replica);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
