import type Database from 'better-sqlite3';
import type { Clock } from '../../clock/clock.port.js';
import type { DeadLetter, QueueStats } from '../queue.port.js';
import * as SQL from './sqlite-queue.schema.js';

/** A message about to be inserted, payload already serialised. */
export interface NewRow {
  key: string | null;
  payload: string;
  traceparent: string | null;
}

/** One delivery of a message; `attempts` is its attempt number and the lease token. */
export interface Lease {
  id: number;
  topic: string;
  key: string | null;
  attempts: number;
}

/** A row handed to a consumer. */
export interface ClaimedRow extends Lease {
  payload: string;
  publishedAt: number;
  traceparent: string | null;
}

/** The outcome of one claim: what to deliver, and how many rows were taken (some may have been dead-lettered). */
export interface ClaimResult {
  delivered: ClaimedRow[];
  taken: number;
}

interface DeadRow {
  id: number;
  topic: string;
  key: string | null;
  payload: string;
  attempts: number;
  lastError: string;
  publishedAt: number;
  failedAt: number;
}

interface StatsRow {
  ready: number;
  inFlight: number;
  delayed: number;
  oldestPublishedAt: number | null;
}

/** Error text kept with a failed message: the message only, bounded so a huge error cannot bloat rows. */
export const MAX_ERROR_LENGTH = 1000;

const LEASE_EXPIRED_ERROR = 'not acknowledged within the visibility timeout (consumer crashed or hung)';
const REPLAY_PAGE = 500;

function prepareAll(db: Database.Database) {
  return {
    insert: db.prepare(SQL.INSERT_SQL),
    claimable: db.prepare(SQL.CLAIMABLE_SQL),
    peek: db.prepare(SQL.PEEK_SQL),
    promote: db.prepare(SQL.PROMOTE_SQL),
    lease: db.prepare(SQL.LEASE_SQL),
    ack: db.prepare(SQL.ACK_SQL),
    release: db.prepare(SQL.RELEASE_SQL),
    deadLetter: db.prepare(SQL.DEAD_LETTER_SQL),
    stats: db.prepare(SQL.STATS_SQL),
    countDead: db.prepare(SQL.COUNT_DEAD_SQL),
    listDead: db.prepare(SQL.LIST_DEAD_SQL),
    selectDead: db.prepare(SQL.SELECT_DEAD_SQL),
    selectOneDead: db.prepare(SQL.SELECT_ONE_DEAD_SQL),
    deleteDead: db.prepare(SQL.DELETE_DEAD_SQL),
  };
}

/**
 * The queue's synchronous storage operations over one better-sqlite3 connection: statements
 * prepared once, each operation a single statement or a single transaction. Writes that read
 * first run as IMMEDIATE transactions: in WAL mode a deferred one could read a snapshot another
 * connection has since changed and then fail to upgrade to a writer.
 */
export class QueueStore {
  #closed = false;
  readonly #db: Database.Database;
  readonly #clock: Clock;
  readonly #visibilityTimeoutMs: number;
  readonly #sql: ReturnType<typeof prepareAll>;
  readonly #insertMany: Database.Transaction<(topic: string, rows: readonly NewRow[], now: number) => void>;
  readonly #claim: Database.Transaction<(topic: string, limit: number, maxAttempts: number) => ClaimResult>;
  readonly #removeHead: Database.Transaction<(lease: Lease) => boolean>;
  readonly #deadLetter: Database.Transaction<(lease: Lease, error: string, now: number) => boolean>;
  readonly #replay: Database.Transaction<(topic: string, ids: readonly number[] | undefined) => number>;

  constructor(db: Database.Database, clock: Clock, visibilityTimeoutMs: number) {
    this.#db = db;
    this.#clock = clock;
    this.#visibilityTimeoutMs = visibilityTimeoutMs;
    db.exec(SQL.QUEUE_SCHEMA);
    // Queue files made before messages carried a traceparent get the column.
    if (!(db.prepare('PRAGMA table_info(queue_messages)').all() as { name: string }[]).some((c) => c.name === 'traceparent')) {
      db.exec('ALTER TABLE queue_messages ADD COLUMN traceparent TEXT');
    }
    this.#sql = prepareAll(db);
    this.#insertMany = db.transaction((topic: string, rows: readonly NewRow[], now: number) => {
      for (const row of rows) this.#sql.insert.run({ topic, now, key: row.key, payload: row.payload, traceparent: row.traceparent });
    });
    this.#claim = db.transaction((topic: string, limit: number, maxAttempts: number) =>
      this.#claimRows(topic, limit, maxAttempts),
    );
    this.#removeHead = db.transaction((lease: Lease) => this.#deleteAndPromote(lease));
    this.#deadLetter = db.transaction((lease: Lease, error: string, now: number) =>
      this.#moveToDeadLetters(lease, error, now),
    );
    this.#replay = db.transaction((topic: string, ids: readonly number[] | undefined) => this.#replayRows(topic, ids));
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  ping(): void {
    this.#db.prepare('SELECT 1').get();
  }

  /** Appends messages atomically, in order. */
  insert(topic: string, rows: readonly NewRow[]): void {
    const now = this.#clock.now();
    const [only] = rows;
    // A lone message needs no explicit transaction: the INSERT is atomic by itself.
    if (rows.length === 1 && only) this.#sql.insert.run({ topic, now, key: only.key, payload: only.payload, traceparent: only.traceparent });
    else this.#insertMany.immediate(topic, rows, now);
  }

  /** Whether a claim would find anything; a read, so idle pollers do not contend for the write lock. */
  hasClaimable(topic: string): boolean {
    return this.#sql.peek.get({ topic, now: this.#clock.now() }) !== undefined;
  }

  /**
   * Leases up to `limit` claimable rows in one IMMEDIATE transaction, so no other connection can
   * claim the same rows. Rows that already used `maxAttempts` deliveries (their leases expired
   * without an ack: the consumer died or hung on them) are dead-lettered instead of delivered, so a
   * message that kills its consumer cannot crash-loop the system forever.
   */
  claim(topic: string, limit: number, maxAttempts: number): ClaimResult {
    return this.#claim.immediate(topic, limit, maxAttempts);
  }

  #claimRows(topic: string, limit: number, maxAttempts: number): ClaimResult {
    const now = this.#clock.now();
    const rows = this.#sql.claimable.all({ topic, now, limit }) as ClaimedRow[];
    const delivered: ClaimedRow[] = [];
    for (const row of rows) {
      if (row.attempts >= maxAttempts) {
        this.#moveToDeadLetters(row, LEASE_EXPIRED_ERROR, now);
        continue;
      }
      this.#sql.lease.run({ id: row.id, until: now + this.#visibilityTimeoutMs });
      delivered.push({ ...row, attempts: row.attempts + 1 });
    }
    return { delivered, taken: rows.length };
  }

  /**
   * Deletes a handled message if the lease is still this delivery's. A late ack (lease expired and
   * the row re-claimed by someone else) is ignored: deleting would unblock the key while the new
   * delivery is still running and break per-key ordering; the redelivery acks it instead. A late ack
   * whose lease expired but was not re-claimed still deletes, sparing a needless redelivery.
   */
  ack(lease: Lease): boolean {
    if (lease.key === null) return this.#sql.ack.run({ id: lease.id, attempt: lease.attempts }).changes > 0;
    return this.#removeHead.immediate(lease);
  }

  /** Makes a failed delivery claimable again after `delayMs`; a no-op if the lease moved on. */
  release(lease: Lease, delayMs: number, error: string): boolean {
    const availableAt = this.#clock.now() + delayMs;
    return this.#sql.release.run({ id: lease.id, attempt: lease.attempts, availableAt, error }).changes > 0;
  }

  /** Moves a message that exhausted its attempts to the dead letters, atomically. */
  deadLetter(lease: Lease, error: string): boolean {
    return this.#deadLetter.immediate(lease, error, this.#clock.now());
  }

  #moveToDeadLetters(lease: Lease, error: string, now: number): boolean {
    const moved = this.#sql.deadLetter.run({ id: lease.id, attempt: lease.attempts, error, now }).changes > 0;
    return moved && this.#deleteAndPromote(lease);
  }

  #deleteAndPromote(lease: Lease): boolean {
    if (this.#sql.ack.run({ id: lease.id, attempt: lease.attempts }).changes === 0) return false;
    if (lease.key !== null) this.#sql.promote.run({ topic: lease.topic, key: lease.key });
    return true;
  }

  stats(topic: string): QueueStats {
    const now = this.#clock.now();
    const row = this.#sql.stats.get({ topic, now }) as StatsRow;
    const dead = this.#sql.countDead.get({ topic }) as { n: number };
    return {
      ready: row.ready,
      inFlight: row.inFlight,
      delayed: row.delayed,
      deadLettered: dead.n,
      oldestAgeMs: row.oldestPublishedAt === null ? 0 : Math.max(0, now - row.oldestPublishedAt),
    };
  }

  listDeadLetters(topic: string, limit: number, after: number): DeadLetter[] {
    const rows = this.#sql.listDead.all({ topic, after, limit }) as DeadRow[];
    return rows.map((r) => ({ ...r, id: String(r.id), payload: JSON.parse(r.payload) as unknown }));
  }

  /** Republishes dead letters (all of the topic's, or the given ids, ascending) in one transaction. */
  replay(topic: string, ids: readonly number[] | undefined): number {
    return this.#replay.immediate(topic, ids);
  }

  #replayRows(topic: string, ids: readonly number[] | undefined): number {
    const now = this.#clock.now();
    // Row by row through the ordinary INSERT so each replayed message gets its key-head flag
    // right (an INSERT ... SELECT would not see the rows it inserts itself).
    const republish = (dead: { id: number; key: string | null; payload: string }): void => {
      this.#sql.insert.run({ topic, now, key: dead.key, payload: dead.payload, traceparent: null });
      this.#sql.deleteDead.run({ id: dead.id });
    };
    let count = 0;
    if (ids) {
      for (const id of ids) {
        const dead = this.#sql.selectOneDead.get({ topic, id }) as DeadRow | undefined;
        if (dead) republish(dead);
        count += dead ? 1 : 0;
      }
      return count;
    }
    for (let after = 0; ; ) {
      const page = this.#sql.selectDead.all({ topic, after, limit: REPLAY_PAGE }) as DeadRow[];
      for (const dead of page) republish(dead);
      count += page.length;
      const last = page.at(-1);
      if (!last || page.length < REPLAY_PAGE) return count;
      after = last.id;
    }
  }
}
