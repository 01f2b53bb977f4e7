import { tablesOf, type SqlDatabase } from '../../../platform/sql/index.js';
import type { KeyGenerator } from './keygen.port.js';
import type { KeygenTables } from './keygen.tables.js';
import { randomCodes } from './random-code.js';

/** Options of {@link PoolKeyGenerator}. */
export interface PoolKeyGeneratorOptions {
  /** Code length in base62 characters (default 7). */
  length?: number;
  /** Size the background refill tops the pool up to (default 10000). */
  targetSize?: number;
  /** The refill runs when the pool holds fewer codes than this (default 2000). */
  lowWatermark?: number;
  /** How often the background refill checks the pool size (default 1000 ms). */
  refillIntervalMs?: number;
  /** Rows per INSERT during a refill (default 500). */
  batchSize?: number;
  /** Codes inserted inline when `next()` finds the pool empty (default 64). */
  emergencyBatch?: number;
  /** Told about failed background refills (they are retried on the next tick). */
  onError?: (error: unknown) => void;
}

/** Claim attempts after an inline refill before falling back to an unpooled random code. */
const MAX_EMPTY_ROUNDS = 3;

/**
 * Strategy 3, pre-generated random strings: a table of unused random codes that instances claim
 * from, so handing out a key needs no shared counter and reveals nothing about volume or order.
 *
 * Claiming is one atomic `DELETE ... WHERE code = (SELECT code ... LIMIT 1) RETURNING code` (on
 * PostgreSQL the subquery takes `FOR UPDATE SKIP LOCKED`, so concurrent claimers pick different
 * rows instead of queueing on one), so two claimers, in any process, never receive the same row.
 * A background refill keeps the pool between `lowWatermark` and `targetSize`; when the pool runs
 * dry anyway, `next()` inserts a small batch inline and never fails for lack of codes.
 *
 * Trade-offs: codes sitting in the pool when they are no longer wanted (pool shrunk, strategy
 * changed) are wasted ids, and the pool costs storage and refill writes. Claimed codes are
 * deleted, so a later refill can draw a code that is already in use (chance ~ links / 62^7);
 * like every strategy here it relies on the caller's UNIQUE insert and retry to stay correct.
 */
export class PoolKeyGenerator implements KeyGenerator {
  readonly strategy = 'pool' as const;
  private readonly sql: SqlDatabase<KeygenTables>;
  private readonly length: number;
  private readonly targetSize: number;
  private readonly lowWatermark: number;
  private readonly refillIntervalMs: number;
  private readonly batchSize: number;
  private readonly emergencyBatch: number;
  private readonly onError: (error: unknown) => void;
  private timer: NodeJS.Timeout | undefined;
  /** The background refill in flight; ticks that find one running skip. */
  private refilling: Promise<unknown> | undefined;
  /** The inline refill in flight; concurrent `next()` calls on an empty pool share it. */
  private emergency: Promise<unknown> | undefined;

  constructor(sql: SqlDatabase<unknown>, options: PoolKeyGeneratorOptions = {}) {
    this.sql = tablesOf<KeygenTables>(sql);
    this.length = positiveInt('length', options.length ?? 7);
    this.targetSize = positiveInt('targetSize', options.targetSize ?? 10_000);
    this.lowWatermark = positiveInt('lowWatermark', options.lowWatermark ?? 2_000);
    if (this.lowWatermark > this.targetSize) throw new RangeError('lowWatermark must not exceed targetSize');
    this.refillIntervalMs = positiveInt('refillIntervalMs', options.refillIntervalMs ?? 1_000);
    this.batchSize = positiveInt('batchSize', options.batchSize ?? 500);
    this.emergencyBatch = positiveInt('emergencyBatch', options.emergencyBatch ?? 64);
    this.onError = options.onError ?? (() => {});
  }

  /** Starts the background refill (checks now, then every `refillIntervalMs`). Idempotent. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.refillIntervalMs);
    // The refill must never be the reason a process stays alive.
    this.timer.unref();
    this.tick();
  }

  /** Stops the background refill and waits for the one in flight, if any. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([this.refilling, this.emergency]);
  }

  async next(): Promise<string> {
    for (let round = 0; round < MAX_EMPTY_ROUNDS; round++) {
      const code = await this.claim();
      if (code !== undefined) return code;
      this.emergency ??= this.insertCodes(this.emergencyBatch).finally(() => {
        this.emergency = undefined;
      });
      await this.emergency;
    }
    // Other claimers keep draining the inline batches; an unpooled random code is as good (the
    // caller's UNIQUE insert catches the rare clash) and keeps next() from ever failing.
    return randomCodes(1, this.length)[0] as string;
  }

  /**
   * Tops the pool up to `targetSize` if it holds fewer than `lowWatermark` codes; returns the
   * number of codes inserted. The background refill calls this; tests and operators may too.
   */
  async refill(): Promise<number> {
    const size = await this.size();
    if (size >= this.lowWatermark) return 0;
    let inserted = 0;
    for (let missing = this.targetSize - size; missing > 0; missing -= this.batchSize) {
      inserted += await this.insertCodes(Math.min(missing, this.batchSize));
    }
    return inserted;
  }

  /** Number of unclaimed codes in the pool (shared by every instance on the database). */
  async size(): Promise<number> {
    const row = await this.sql.db
      .selectFrom('keygen_pool')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  private tick(): void {
    if (this.refilling) return;
    this.refilling = this.refill()
      .catch((error: unknown) => this.onError(error))
      .finally(() => {
        this.refilling = undefined;
      });
  }

  private async claim(): Promise<string | undefined> {
    const db = this.sql.db;
    let pick = db.selectFrom('keygen_pool').select('code').limit(1);
    // SQLite runs one writer at a time, so the statement is atomic as is; PostgreSQL needs the
    // row lock, and SKIP LOCKED lets concurrent claimers take different rows without waiting.
    if (this.sql.dialect === 'postgres') pick = pick.forUpdate().skipLocked();
    const row = await db.deleteFrom('keygen_pool').where('code', '=', pick).returning('code').executeTakeFirst();
    return row?.code;
  }

  /** Inserts `count` fresh random codes, skipping any already pooled; returns rows inserted. */
  private async insertCodes(count: number): Promise<number> {
    const result = await this.sql.db
      .insertInto('keygen_pool')
      .values(randomCodes(count, this.length).map((code) => ({ code })))
      .onConflict((oc) => oc.column('code').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n);
  }
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
