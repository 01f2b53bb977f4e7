import type { Migration } from 'kysely';
import type { SqlDatabase } from '../sql/index.js';
import { checkShardName, keyText, ShardingError, type ShardKey, type ShardStrategy } from './shard-strategy.js';
import { WriteGate } from './write-gate.js';

export interface ShardedDatabaseOptions<DB> {
  /** One database per shard name (PostgreSQL schemas or databases, SQLite files); closed by `close`. */
  shards: Readonly<Record<string, SqlDatabase<DB>>> | ReadonlyMap<string, SqlDatabase<DB>>;
  /** Which shard owns a key; every shard it names must be among `shards`. */
  strategy: ShardStrategy;
}

/** A shard routed by the current strategy, for scatter-gather. */
export interface ShardEntry<DB> {
  readonly name: string;
  readonly database: SqlDatabase<DB>;
  /**
   * Whether this shard owns `key` now. Right after an online reshard switched, until its cleanup
   * ends, moved rows are still on their old shard too: a scatter-gather that must not count them
   * twice keeps only the rows its shard owns.
   */
  owns(key: ShardKey): boolean;
}

/**
 * N databases, one per shard, and the strategy that routes a user id to one of them.
 * `forKey` answers a key's shard for reads; `write` runs a unit of work on it while the write is
 * tracked, which is what lets {@link addShard} reshard online without losing it; `all` and
 * `gather` reach every routed shard.
 */
export class ShardedDatabase<DB = unknown> {
  /** The writes in flight through `write`; resharding fences and drains them. */
  readonly writes = new WriteGate();
  readonly #databases = new Map<string, SqlDatabase<DB>>();
  #strategy: ShardStrategy;
  #version = 1;
  #closed = false;

  constructor(options: ShardedDatabaseOptions<DB>) {
    const entries = options.shards instanceof Map ? [...options.shards] : Object.entries(options.shards);
    for (const [name, database] of entries) this.#databases.set(checkShardName(name), database);
    this.#strategy = options.strategy;
    this.#checkCovers(options.strategy);
  }

  /** The strategy routing now. */
  get strategy(): ShardStrategy {
    return this.#strategy;
  }

  /** The routing version: 1, plus one per {@link switchStrategy}. */
  get version(): number {
    return this.#version;
  }

  /** The shard owning `key` now. */
  shardOf(key: ShardKey): string {
    return this.#strategy.shardOf(key);
  }

  /** The database of the shard owning `key`, for reads (write through {@link write}). */
  forKey(key: ShardKey): SqlDatabase<DB> {
    return this.shard(this.#strategy.shardOf(key));
  }

  /** The database of a shard by name (routed or only attached). */
  shard(name: string): SqlDatabase<DB> {
    this.#checkOpen();
    const database = this.#databases.get(name);
    if (database === undefined) throw new ShardingError('unknown_shard', `no database for shard ${name}`);
    return database;
  }

  /** The shards the current strategy routes to, sorted by name, for scatter-gather. */
  all(): ShardEntry<DB>[] {
    const strategy = this.#strategy;
    return strategy.shards().map((name) => ({ name, database: this.shard(name), owns: (key: ShardKey) => strategy.shardOf(key) === name }));
  }

  /** Runs `work` on every routed shard at once; its answers in shard-name order. */
  gather<T>(work: (shard: ShardEntry<DB>) => Promise<T>): Promise<T[]> {
    return Promise.all(this.all().map(work));
  }

  /**
   * Runs a unit of writes for `key` on its shard (`work` commits its own transaction before it
   * resolves). While a reshard fences the key, the call waits and then routes by the new
   * strategy. Writes that bypass this (through `forKey`) are invisible to resharding and may be
   * lost by it; a `work` must not call `write` for another key (a fence could wait on itself).
   */
  async write<T>(key: ShardKey, work: (database: SqlDatabase<DB>, shard: string) => Promise<T>): Promise<T> {
    const text = keyText(key);
    for (;;) {
      const entered = this.writes.tryEnter(text);
      if ('wait' in entered) {
        await entered.wait;
        continue;
      }
      try {
        // Routed in the same turn as it entered: a fence raised later sees it in flight.
        const shard = this.#strategy.shardOf(key);
        return await work(this.shard(shard), shard);
      } finally {
        this.writes.leave(entered);
      }
    }
  }

  /** Applies `migrations` on every shard's database (routed or attached), all at once. */
  async migrate(migrations: Record<string, Migration>): Promise<void> {
    this.#checkOpen();
    const names = [...this.#databases.keys()];
    const outcomes = await Promise.allSettled(names.map((name) => this.#databases.get(name)!.migrate(migrations)));
    const failed = outcomes.findIndex((o) => o.status === 'rejected');
    if (failed >= 0) {
      const reason = (outcomes[failed] as PromiseRejectedResult).reason as unknown;
      throw new ShardingError('migration_failed', `migration failed on shard ${names[failed]}: ${reason instanceof Error ? reason.message : String(reason)}`, { cause: reason });
    }
  }

  /** Adds a shard's database without routing to it yet (the first step of a reshard). */
  attach(name: string, database: SqlDatabase<DB>): void {
    this.#checkOpen();
    if (this.#databases.has(checkShardName(name))) throw new ShardingError('shard_exists', `shard ${name} already has a database`);
    this.#databases.set(name, database);
  }

  /** Removes a shard the strategy does not route to; answers its database (not closed). */
  detach(name: string): SqlDatabase<DB> {
    if (this.#strategy.shards().includes(name)) throw new ShardingError('shard_routed', `shard ${name} is routed to; switch the strategy first`);
    const database = this.shard(name);
    this.#databases.delete(name);
    return database;
  }

  /** Routes by `next` from now on (every shard it names must have a database); bumps the version. */
  switchStrategy(next: ShardStrategy): void {
    this.#checkOpen();
    this.#checkCovers(next);
    this.#strategy = next;
    this.#version++;
  }

  /** Closes every shard's database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#databases.values()].map((d) => d.close()));
  }

  #checkCovers(strategy: ShardStrategy): void {
    const missing = strategy.shards().filter((name) => !this.#databases.has(name));
    if (missing.length > 0) throw new ShardingError('unknown_shard', `the strategy routes to shards without a database: ${missing.join(', ')}`);
  }

  #checkOpen(): void {
    if (this.#closed) throw new ShardingError('closed', 'the sharded database is closed');
  }
}
