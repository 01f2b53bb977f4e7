import type { Kysely, Transaction } from 'kysely';

interface Pending<DB> {
  work: (trx: Transaction<DB>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: small write transactions that arrive together share one commit (and one fsync),
 * as PostgreSQL and MySQL do for concurrent commits. Each caller's promise settles only after the
 * shared commit, so an answer still means durable. If the shared transaction fails, every unit of
 * work is retried alone, so one failing caller never takes the others down with it.
 */
export class GroupCommit<DB> {
  readonly #db: Kysely<DB>;
  readonly #maxGroup: number;
  #pending: Pending<DB>[] = [];
  #scheduled = false;
  /** Commits made, for tests and metrics. */
  commits = 0;

  constructor(db: Kysely<DB>, options: { maxGroup?: number } = {}) {
    this.#db = db;
    this.#maxGroup = options.maxGroup ?? 256;
  }

  /** Runs `work` inside a transaction shared with the other calls of this moment. */
  run<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // After the I/O callbacks of this turn, so that requests parsed together commit together.
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const group = this.#pending.splice(0, this.#maxGroup);
      await this.#commit(group);
    }
    this.#scheduled = false;
  }

  async #commit(group: Pending<DB>[]): Promise<void> {
    try {
      const results = await this.#db.transaction().execute(async (trx) => {
        const out: unknown[] = [];
        for (const item of group) out.push(await item.work(trx));
        return out;
      });
      this.commits++;
      group.forEach((item, i) => item.resolve(results[i]));
    } catch {
      for (const item of group) {
        try {
          item.resolve(await this.#db.transaction().execute((trx) => item.work(trx)));
          this.commits++;
        } catch (error) {
          item.reject(error);
        }
      }
    }
  }
}
