import type { Transaction } from 'kysely';
import { HashStrategy, lockRing, readRing, ShardingError, type RingConfig, type ShardedDatabase, type ShardedTable } from '../../platform/sharding/index.js';
import { GroupCommit, tablesOf, type SqlDatabase } from '../../platform/sql/index.js';
import type { TimelineEntry } from '../../platform/timelines/index.js';
import type { Tweet } from './feed.model.js';
import type { FeedTables } from './feed.tables.js';
import { TweetsRepository, type AuthorSlice, type TweetFacts } from './tweets.repository.js';

/**
 * What a feed shard holds, keyed by the author of the tweet: the tweets (user timelines are one
 * index range of one shard) and the likes they count. Follows and per-user counters stay in the
 * main database.
 */
export const FEED_SHARDED_TABLES: readonly ShardedTable[] = [
  { table: 'tweets', keyColumn: 'author_id', primaryKey: ['id'] },
  { table: 'likes', keyColumn: 'author_id', primaryKey: ['user_id', 'tweet_id'] },
];

/** The reads the timelines and the fan-out make of tweets, wherever they are stored. */
export type TweetReads = Pick<TweetsRepository, 'liveByIds' | 'likedBy' | 'likesOf' | 'byAuthor' | 'latestOfAuthors'> & {
  facts(id: bigint): Promise<TweetFacts | null>;
};

interface Shard {
  readonly name: string;
  readonly database: SqlDatabase;
  readonly repo: TweetsRepository;
  readonly writes: GroupCommit<FeedTables>;
}

// A write that finds a newer ring routes again; more rings than this in a row is a fault.
const MAX_REROUTES = 5;

/**
 * Where tweets and likes are: the main database, or shards by author id on a consistent-hash
 * ring shared by every process (`shard_ring`). A write on a shard locks that shard's ring row
 * `for share` and checks the ring version it routed by, which is what lets `blueprint reshard`
 * fence writers in other processes (see ringRowFence); reads route by the ring this process
 * holds, scatter-gather where they must (tweets by id: ids carry no author), and keep a row only
 * from the shard that owns its author (moved rows stay on their old shard until the cleanup).
 */
export class FeedShards implements TweetReads {
  /** The main database's group commit: follows, counters, and tweets when unsharded. */
  readonly mainWrites: GroupCommit<FeedTables>;
  /** Whether tweets live on shards (apart from the main database). */
  readonly sharded: boolean;
  readonly #main: Shard;
  readonly #directory: SqlDatabase;
  readonly #ring: ShardedDatabase | undefined;
  readonly #shards = new Map<string, Shard>();

  constructor(options: { main: SqlDatabase; shards?: ShardedDatabase | undefined }) {
    this.#directory = options.main;
    this.#main = this.#open('main', options.main);
    this.mainWrites = this.#main.writes;
    this.#ring = options.shards;
    this.sharded = options.shards !== undefined;
  }

  /** The ring version routing now (0 when unsharded). */
  get ringVersion(): number {
    return this.#ring === undefined ? 0 : this.#strategy().config.version;
  }

  /** The shard name of an author's tweets ('main' when unsharded). */
  shardOf(authorId: bigint): string {
    return this.#ring === undefined ? 'main' : this.#ring.shardOf(authorId);
  }

  /**
   * Runs `work` in a (group-commit) transaction on the author's shard. Unsharded, that is the
   * main database's transaction, so `work` may write the main tables in it too.
   */
  async write<T>(authorId: bigint, work: (trx: Transaction<FeedTables>) => Promise<T>): Promise<T> {
    const ring = this.#ring;
    if (ring === undefined) return this.#main.writes.run(work);
    for (let attempt = 0; ; attempt++) {
      const strategy = this.#strategy();
      const shard = this.#shard(strategy.shardOf(authorId));
      const outcome = await shard.writes.run(async (trx): Promise<{ done: true; value: T } | { done: false; stored: RingConfig | null }> => {
        const stored = await lockRing(trx, 'share', shard.database.dialect);
        // An answer, not a throw: a throw would abort the transaction shared with other writers.
        if (stored?.version !== strategy.config.version) return { done: false, stored };
        return { done: true, value: await work(trx) };
      });
      if (outcome.done) return outcome.value;
      if (outcome.stored === null) throw new ShardingError('no_ring', `shard ${shard.name} holds no ring: was it set up by this deployment?`);
      if (attempt >= MAX_REROUTES) throw new ShardingError('ring_unsettled', `shard ${shard.name} kept answering another ring (v${outcome.stored.version}, routing v${this.ringVersion})`);
      this.adopt(outcome.stored);
    }
  }

  /**
   * Runs `work` on the shard of a tweet known by id only; null when no shard has the tweet
   * (unsharded: always the main database, where `work` finds out itself).
   */
  async writeOnTweet<T>(tweetId: bigint, work: (trx: Transaction<FeedTables>) => Promise<T>): Promise<T | null> {
    if (this.#ring === undefined) return this.#main.writes.run(work);
    const facts = await this.facts(tweetId);
    return facts === null ? null : this.write(facts.authorId, work);
  }

  /** Routes by `config` from now on, when it is newer than the ring held. */
  adopt(config: RingConfig): void {
    if (this.#ring === undefined || config.version <= this.ringVersion) return;
    // Throws `unknown_shard` when the ring names a shard this process's FEED_SHARDS lacks.
    this.#ring.switchStrategy(new HashStrategy(config));
  }

  /** Reads the directory's ring and adopts it when newer (processes follow resharding so). */
  async refresh(): Promise<void> {
    if (this.#ring === undefined) return;
    const stored = await readRing(this.#directory.db);
    if (stored !== null) this.adopt(stored);
  }

  async facts(id: bigint): Promise<TweetFacts | null> {
    const found = await this.#gather((shard) => shard.repo.facts(id), (f) => f.authorId);
    return found[0] ?? null;
  }

  liveByIds(ids: readonly bigint[]): Promise<Tweet[]> {
    return this.#gather((shard) => shard.repo.liveByIds(ids), (t) => BigInt(t.authorId));
  }

  async likedBy(userId: bigint, ids: readonly bigint[]): Promise<Set<string>> {
    if (this.#ring === undefined) return this.#main.repo.likedBy(userId, ids);
    // A like on two shards (moved, not cleaned up yet) is the same tweet id: the set keeps one.
    const sets = await Promise.all(this.#routed().map((shard) => shard.repo.likedBy(userId, ids)));
    return new Set(sets.flatMap((s) => [...s]));
  }

  async likesOf(userId: bigint, limit: number): Promise<bigint[]> {
    if (this.#ring === undefined) return this.#main.repo.likesOf(userId, limit);
    // A like on two shards (moved, not cleaned up yet) is the same tweet id: kept once.
    const lists = await Promise.all(this.#routed().map((shard) => shard.repo.likesOf(userId, limit)));
    return [...new Set(lists.flat())].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)).slice(0, limit);
  }

  /** Live tweets of everyone, newest first, below `before`: each shard's newest, merged. */
  async latest(limit: number, before?: bigint): Promise<Tweet[]> {
    const lists = await this.#gather((shard) => shard.repo.latest(limit, before), (t) => BigInt(t.authorId));
    return newestFirst(lists).slice(0, limit);
  }

  /** Live replies to a tweet, oldest first (replies live with their own authors: every shard is asked). */
  async repliesTo(parentId: bigint, limit: number): Promise<Tweet[]> {
    const lists = await this.#gather((shard) => shard.repo.repliesTo(parentId, limit), (t) => BigInt(t.authorId));
    return newestFirst(lists).reverse().slice(0, limit);
  }

  /** Who liked a tweet (its likes live on its author's shard). */
  likers(authorId: bigint, tweetId: bigint, limit: number): Promise<string[]> {
    return this.#shard(this.shardOf(authorId)).repo.likers(tweetId, limit);
  }

  byAuthor(authorId: bigint, limit: number, before?: bigint): Promise<Tweet[]> {
    return this.#shard(this.shardOf(authorId)).repo.byAuthor(authorId, limit, before);
  }

  async latestOfAuthors(slices: readonly AuthorSlice[], pulledOnly: boolean): Promise<Map<bigint, TimelineEntry[]>> {
    if (this.#ring === undefined) return this.#main.repo.latestOfAuthors(slices, pulledOnly);
    const byShard = new Map<string, AuthorSlice[]>();
    for (const slice of slices) {
      const name = this.shardOf(slice.authorId);
      let list = byShard.get(name);
      if (list === undefined) byShard.set(name, (list = []));
      list.push(slice);
    }
    const parts = await Promise.all([...byShard].map(([name, part]) => this.#shard(name).repo.latestOfAuthors(part, pulledOnly)));
    return new Map(parts.flatMap((m) => [...m]));
  }

  /** Every shard's database (tests, the reshard command). */
  databases(): Map<string, SqlDatabase> {
    return new Map(this.#routed().map((s) => [s.name, s.database]));
  }

  /** Runs `read` on every routed shard; keeps the items whose author that shard owns now. */
  async #gather<T>(read: (shard: Shard) => Promise<T[] | T | null>, authorOf: (item: T) => bigint): Promise<T[]> {
    const ring = this.#ring;
    const list = (value: T[] | T | null): T[] => (value === null ? [] : Array.isArray(value) ? value : [value]);
    if (ring === undefined) return list(await read(this.#main));
    const strategy = ring.strategy;
    const shards = strategy.shards().map((name) => this.#shard(name));
    const answers = await Promise.all(shards.map(read));
    return answers.flatMap((answer, i) => list(answer).filter((item) => strategy.shardOf(authorOf(item)) === shards[i]!.name));
  }

  #routed(): Shard[] {
    return this.#ring === undefined ? [this.#main] : this.#strategy().shards().map((name) => this.#shard(name));
  }

  #strategy(): HashStrategy {
    return this.#ring!.strategy as HashStrategy;
  }

  #shard(name: string): Shard {
    if (this.#ring === undefined) return this.#main;
    let shard = this.#shards.get(name);
    if (shard === undefined) this.#shards.set(name, (shard = this.#open(name, this.#ring!.shard(name))));
    return shard;
  }

  #open(name: string, database: SqlDatabase): Shard {
    const tables = tablesOf<FeedTables>(database);
    return { name, database, repo: new TweetsRepository(tables.db), writes: GroupCommit.on(tables) };
  }
}

/** Tweets by id, highest (newest) first. */
function newestFirst(tweets: Tweet[]): Tweet[] {
  return tweets.sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
}
