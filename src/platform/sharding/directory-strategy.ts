import type { Kysely, Migration } from 'kysely';
import { tablesOf, type SqlDatabase } from '../sql/index.js';
import { checkShardName, keyText, ShardingError, type ShardKey, type ShardStrategy } from './shard-strategy.js';

/** The lookup table, in the catalog database. */
export interface ShardDirectoryTables {
  shard_directory: { key: string; shard: string };
}

/** Creates `shard_directory` in the catalog database: `catalog.migrate(directoryMigrations)`. */
export const directoryMigrations: Record<string, Migration> = {
  'sharding/0001_shard_directory': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('shard_directory')
        .addColumn('key', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('shard', 'varchar(64)', (c) => c.notNull())
        .execute();
    },
  },
};

export interface DirectoryOptions {
  /** Where keys that have no entry go (e.g. a {@link HashStrategy}). */
  fallback: ShardStrategy;
  /** The shards an entry may name (default: the fallback's). */
  shards?: readonly string[];
  /** Entries read per query when loading (default 10,000). */
  pageSize?: number;
}

const PAGE = 10_000;

/**
 * Directory sharding: an explicit key → shard table (`shard_directory`, in a designated catalog
 * database), for the keys placed by hand — a celebrity on a shard of its own, a tenant moved
 * off a hot shard — and a fallback strategy for every other key. The table is held in memory,
 * so `shardOf` never queries; `assign` and `unassign` write through to the catalog and to this
 * process's copy. Other processes see them at their next {@link DirectoryStrategy.refresh}
 * (on a timer or on an invalidation event).
 */
export class DirectoryStrategy implements ShardStrategy {
  readonly #catalog: Kysely<ShardDirectoryTables>;
  readonly #fallback: ShardStrategy;
  readonly #known: ReadonlySet<string>;
  readonly #pageSize: number;
  #entries = new Map<string, string>();
  // Changes made while a refresh reads the table, replayed over what it read.
  #during: Map<string, string | null> | undefined;
  // Refreshes run one after the other, so that an older read never replaces a newer one.
  #refreshed: Promise<void> = Promise.resolve();

  private constructor(catalog: SqlDatabase, options: DirectoryOptions) {
    this.#catalog = tablesOf<ShardDirectoryTables>(catalog).db;
    this.#fallback = options.fallback;
    this.#known = new Set((options.shards ?? options.fallback.shards()).map(checkShardName));
    this.#pageSize = options.pageSize ?? PAGE;
  }

  /** Loads the directory from `catalog` (migrated with {@link directoryMigrations}). */
  static async open(catalog: SqlDatabase, options: DirectoryOptions): Promise<DirectoryStrategy> {
    const directory = new DirectoryStrategy(catalog, options);
    await directory.refresh();
    return directory;
  }

  shardOf(key: ShardKey): string {
    return this.#entries.get(keyText(key)) ?? this.#fallback.shardOf(key);
  }

  shards(): string[] {
    return [...new Set([...this.#known, ...this.#fallback.shards(), ...this.#entries.values()])].sort();
  }

  /** Number of keys with an entry. */
  get size(): number {
    return this.#entries.size;
  }

  /** The entry of `key`, or undefined when the fallback routes it. */
  entryOf(key: ShardKey): string | undefined {
    return this.#entries.get(keyText(key));
  }

  /**
   * Places `key` on `shard` (one of the known shards), replacing any entry. Moving the key's rows
   * there is the caller's job, done before this call.
   */
  async assign(key: ShardKey, shard: string): Promise<void> {
    const text = keyText(key);
    if (text.length > 255) throw new ShardingError('bad_key', 'a directory key is at most 255 characters');
    if (!this.#known.has(shard)) throw new ShardingError('unknown_shard', `shard ${shard} is not one of ${[...this.#known].join(', ')}`);
    await this.#catalog
      .insertInto('shard_directory')
      .values({ key: text, shard })
      .onConflict((oc) => oc.column('key').doUpdateSet({ shard }))
      .execute();
    this.#entries.set(text, shard);
    this.#during?.set(text, shard);
  }

  /** Removes the entry of `key` (the fallback routes it again); answers whether there was one. */
  async unassign(key: ShardKey): Promise<boolean> {
    const text = keyText(key);
    const result = await this.#catalog.deleteFrom('shard_directory').where('key', '=', text).executeTakeFirst();
    this.#entries.delete(text);
    this.#during?.set(text, null);
    return result.numDeletedRows > 0n;
  }

  /** Reloads every entry from the catalog, in pages, then swaps the in-memory copy at once. */
  refresh(): Promise<void> {
    const next = this.#refreshed.catch(() => undefined).then(() => this.#load());
    this.#refreshed = next;
    return next;
  }

  async #load(): Promise<void> {
    const during = new Map<string, string | null>();
    this.#during = during;
    try {
      const loaded = new Map<string, string>();
      let after: string | undefined;
      for (;;) {
        let query = this.#catalog.selectFrom('shard_directory').select(['key', 'shard']).orderBy('key').limit(this.#pageSize);
        if (after !== undefined) query = query.where('key', '>', after);
        const page = await query.execute();
        for (const row of page) loaded.set(row.key, row.shard);
        if (page.length < this.#pageSize) break;
        after = page.at(-1)!.key;
      }
      for (const [key, shard] of during) {
        if (shard === null) loaded.delete(key);
        else loaded.set(key, shard);
      }
      this.#entries = loaded;
    } finally {
      if (this.#during === during) this.#during = undefined;
    }
  }
}
