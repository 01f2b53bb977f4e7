import { tablesOf, type SqlDatabase } from '../../../platform/sql/index.js';
import { encodeBase62 } from './base62.js';
import type { KeyGenerator } from './keygen.port.js';
import type { KeygenTables } from './keygen.tables.js';
import type { Scrambler } from './scramble.js';

/** Options of {@link CounterKeyGenerator}. */
export interface CounterKeyGeneratorOptions {
  /** Row of `keygen_counters` to draw from; generators sharing a name share one sequence. */
  name?: string;
  /** Values leased per round trip to the database (default 1000). */
  blockSize?: number;
  /** When set, codes are `encodeBase62(scrambler.encode(n), scrambler.length)` (fixed length). */
  scrambler?: Scrambler;
}

interface Block {
  next: bigint;
  /** Exclusive. */
  end: bigint;
}

/**
 * Strategy 1, counter + base62: short codes ("1", "2", ... "a", ... "10") that grow one character
 * per factor of 62, with no collisions by construction. Its weak spot is the shared counter row,
 * a single point of coordination (and, unscrambled, codes reveal volume and can be walked).
 *
 * The counter lives in the database. Each instance leases a block of `blockSize` values with one
 * atomic `UPDATE ... SET next_value = next_value + blockSize ... RETURNING`, so processes sharing
 * the database never receive overlapping blocks, and hands the block out from memory. Values
 * still unused when a process stops are lost for good: the sequence has gaps, which is harmless
 * (codes only need to be unique, not dense) and is the price of one write per block.
 *
 * Values start at 1.
 */
export class CounterKeyGenerator implements KeyGenerator {
  readonly strategy = 'counter' as const;
  private readonly sql: SqlDatabase<KeygenTables>;
  private readonly name: string;
  private readonly blockSize: number;
  private readonly scrambler: Scrambler | undefined;
  private block: Block = { next: 0n, end: 0n };
  /** The lease in flight; concurrent callers wait on it instead of leasing their own block. */
  private leasing: Promise<void> | undefined;
  private rowEnsured = false;

  constructor(sql: SqlDatabase<unknown>, options: CounterKeyGeneratorOptions = {}) {
    const blockSize = options.blockSize ?? 1000;
    if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new RangeError(`blockSize must be a positive integer, got ${blockSize}`);
    this.sql = tablesOf<KeygenTables>(sql);
    this.name = options.name ?? 'links';
    this.blockSize = blockSize;
    this.scrambler = options.scrambler;
  }

  async next(): Promise<string> {
    return this.format(await this.nextValue());
  }

  /** The next counter value this instance owns (exposed for tests and diagnostics). */
  async nextValue(): Promise<bigint> {
    // Loop: when many callers wait on one lease, the block may be drained before this one runs.
    for (;;) {
      if (this.block.next < this.block.end) return this.block.next++;
      this.leasing ??= this.refill().finally(() => {
        this.leasing = undefined;
      });
      await this.leasing;
    }
  }

  private format(n: bigint): string {
    if (!this.scrambler) return encodeBase62(n);
    if (n >= this.scrambler.domain) {
      throw new RangeError(`counter '${this.name}' exhausted the ${this.scrambler.length}-character code space`);
    }
    return encodeBase62(this.scrambler.encode(n), this.scrambler.length);
  }

  private async refill(): Promise<void> {
    const end = await this.lease();
    this.block = { next: end - BigInt(this.blockSize), end };
  }

  /** Reserves [returned - blockSize, returned) for this instance; returns the new next_value. */
  private async lease(): Promise<bigint> {
    if (!this.rowEnsured) await this.ensureRow();
    let row = await this.increment();
    if (!row) {
      // Someone deleted the row since we ensured it; recreate and retry once.
      await this.ensureRow();
      row = await this.increment();
    }
    if (!row) throw new Error(`keygen counter '${this.name}' could not be leased`);
    return BigInt(row.next_value);
  }

  private increment() {
    return this.sql.db
      .updateTable('keygen_counters')
      .set((eb) => ({ next_value: eb('next_value', '+', this.blockSize) }))
      .where('name', '=', this.name)
      .returning('next_value')
      .executeTakeFirst();
  }

  private async ensureRow(): Promise<void> {
    await this.sql.db
      .insertInto('keygen_counters')
      .values({ name: this.name, next_value: 1 })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    this.rowEnsured = true;
  }
}
