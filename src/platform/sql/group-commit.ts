import type { Kysely, Transaction } from 'kysely';
import { deferredWrites } from './deferred-writes.js';
import type { SqlDatabase } from './sql.port.js';

interface Pending<DB> {
  work: (trx: Transaction<DB>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- one type parameter for every GroupCommit option set
export interface GroupCommitOptions<DB> {
  /** Units of work per transaction at most (default 256). */
  maxGroup?: number;
  /**
   * Transactions in flight at once (default 1). One for SQLite (one writer); more for a server
   * database whose pool runs transactions side by side: each statement is a round trip, so one
   * connection alone caps the rate at round trips, not at the server.
   */
  concurrency?: number;
  /** Errors after which a unit is tried again alone (a deadlock, a serialization failure); default none. */
  isTransient?: (error: unknown) => boolean;
}

/** Tries of a unit alone that failed with a transient error, at most. */
const TRANSIENT_TRIES = 5;

/**
 * Group commit: small write transactions that arrive together share one commit (and one fsync),
 * as PostgreSQL and MySQL do for concurrent commits. Each caller's promise settles only after the
 * shared commit, so an answer still means durable. If the shared transaction fails, every unit of
 * work is retried alone, so one failing caller never takes the others down with it.
 *
 * Units may defer writes to the end of their transaction (see deferredWrites): a group's rows of
 * one kind then go in one statement.
 */
export class GroupCommit<DB> {
  readonly #db: Kysely<DB>;
  readonly #maxGroup: number;
  readonly #concurrency: number;
  readonly #isTransient: (error: unknown) => boolean;
  #pending: Pending<DB>[] = [];
  #scheduled = false;
  #inFlight = 0;
  /** Commits made, for tests and metrics. */
  commits = 0;

  constructor(db: Kysely<DB>, options: GroupCommitOptions<DB> = {}) {
    this.#db = db;
    this.#maxGroup = options.maxGroup ?? 256;
    this.#concurrency = Math.max(1, options.concurrency ?? 1);
    this.#isTransient = options.isTransient ?? (() => false);
  }

  /** A group commit on `sql` with the concurrency and transient errors its engine calls for. */
  static on<DB>(sql: SqlDatabase<DB>, options: Omit<GroupCommitOptions<DB>, 'concurrency' | 'isTransient'> = {}): GroupCommit<DB> {
    return new GroupCommit(sql.db, { ...options, concurrency: sql.writeConcurrency, isTransient: (error) => sql.isTransient(error) });
  }

  /** Runs `work` inside a transaction shared with the other calls of this moment. */
  run<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // After the I/O callbacks of this turn, so that requests parsed together commit together.
        setImmediate(() => this.#pump());
      }
    });
  }

  /** Starts groups while there is work and room for another transaction. */
  #pump(): void {
    this.#scheduled = false;
    while (this.#pending.length > 0 && this.#inFlight < this.#concurrency) {
      // With several transactions at once, the waiting work is shared among them.
      const size = Math.min(this.#maxGroup, Math.ceil(this.#pending.length / (this.#concurrency - this.#inFlight)));
      const group = this.#pending.splice(0, size);
      this.#inFlight++;
      void this.#commit(group).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  async #transaction<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute(async (trx) => {
      deferredWrites.begin(trx);
      const result = await work(trx);
      await deferredWrites.flush(trx);
      return result;
    });
  }

  async #commit(group: Pending<DB>[]): Promise<void> {
    try {
      const results = await this.#transaction(async (trx) => {
        const out: unknown[] = [];
        for (const item of group) out.push(await item.work(trx));
        return out;
      });
      this.commits++;
      group.forEach((item, i) => item.resolve(results[i]));
    } catch {
      for (const item of group) {
        for (let tries = 1; ; tries++) {
          try {
            item.resolve(await this.#transaction((trx) => item.work(trx)));
            this.commits++;
            break;
          } catch (error) {
            if (tries < TRANSIENT_TRIES && this.#isTransient(error)) continue;
            item.reject(error);
            break;
          }
        }
      }
    }
  }
}
