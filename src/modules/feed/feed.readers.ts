import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { PubSubPort } from '../../platform/pubsub/index.js';
import type { FollowerGraph } from './follower-graph.js';
import type { FollowsRepository } from './follows.repository.js';

/** What a home-timeline read needs to know of its reader, as of now. */
export interface Reader {
  id: bigint;
  /** The authors whose tweets belong in the timeline: the followed ones and the reader. */
  authors: readonly bigint[];
  /** Of those, the ones with tweets pulled at read time. */
  pulled: readonly bigint[];
  /** Whether `authorId`'s tweets belong in the timeline (followed now, or the reader's own). */
  sees(authorId: bigint): boolean;
  /** The last read recorded (epoch ms), null when never. */
  lastReadAt: number | null;
  /**
   * The reader's own tweets posted through this process a moment ago (newest last): with a queued
   * fan-out they may not be in the reader's cached timeline yet, so a read merges the reader's
   * newest tweets from the database, unless the page it read from the cache holds them already.
   */
  recentPosts?: readonly bigint[];
}

/** Where a read learns about its reader. */
export type Readers = (readerId: bigint) => Promise<Reader>;
/** The reader when it is known without I/O, else undefined (a path that answers before the router). */
export type ReadersNow = (readerId: bigint) => Reader | undefined;

/** Readers from the follower graph in memory: no SQL (the inline topology, which keeps the graph). */
export function graphReaders(graph: FollowerGraph): { read: Readers; readNow: ReadersNow } {
  const readNow = (readerId: bigint): Reader => {
    const { slots } = graph;
    const slot = slots.slotOf(readerId);
    const following = graph.followingOf(slot);
    const pulled: bigint[] = graph.isPulled(slot) ? [readerId] : [];
    if (graph.pulledFollowing(slot) > 0) for (let i = 0; i < following.length; i++) if (graph.isPulled(following[i]!)) pulled.push(slots.idOf(following[i]!));
    const lastReadAt = graph.lastReadAt(slot);
    let authors: bigint[] | undefined;
    return {
      id: readerId,
      // Only a read that goes past the cache needs the list (most read from the cache alone).
      get authors() {
        authors ??= [readerId, ...Array.from(following, (f) => slots.idOf(f))];
        return authors;
      },
      pulled,
      sees: (authorId) => authorId === readerId || graph.hasSlots(slot, slots.find(authorId)),
      lastReadAt: lastReadAt === 0 ? null : lastReadAt,
    };
  };
  return { read: async (readerId) => readNow(readerId), readNow };
}

/** The channel on which processes tell each other which readers to read again. */
const CHANNEL = 'feed.readers';
/** A reader is read again from the database after this long at most, whatever was said on the bus. */
const READER_TTL_MS = 60_000;
/** Longer than a queued fan-out takes to deliver an author's tweet to their own timeline, with margin. */
const RECENT_POST_MS = 60_000;
/** Of an author's tweets within RECENT_POST_MS, the newest kept (an author posting faster reads through the database merge). */
const RECENT_POSTS_KEPT = 16;

/**
 * Readers from the database (a process that does not keep the graph), remembered: a read costs
 * no query once its reader is known. What changes a reader is forgotten at once here (a follow, an
 * unfollow, a read recorded), and told to other processes over the bus; an author who becomes
 * pulled changes every follower's reader, so every process forgets them all (once per author).
 */
export class SqlReaders {
  readonly #follows: FollowsRepository;
  readonly #cache: LRUCache<bigint, Reader>;
  readonly #bus: PubSubPort | undefined;
  readonly #self = randomUUID();
  readonly #pulled = new LRUCache<bigint, true>({ max: 10_000 });
  /** What authors posted through this process within RECENT_POST_MS (their own read must show it). */
  readonly #posted = new LRUCache<bigint, bigint[]>({ max: 100_000, ttl: RECENT_POST_MS });

  constructor(follows: FollowsRepository, options: { bus?: PubSubPort | undefined; maxReaders?: number; ttlMs?: number } = {}) {
    this.#follows = follows;
    this.#cache = new LRUCache<bigint, Reader>({
      max: options.maxReaders ?? 50_000,
      ttl: options.ttlMs ?? READER_TTL_MS,
      // Stale while revalidating (readNow): a stale reader is kept until its fresh read replaces it.
      allowStale: true,
      noDeleteOnStaleGet: true,
      fetchMethod: (readerId) => this.#load(readerId),
    });
    this.#bus = options.bus;
    this.#bus?.subscribe(CHANNEL, (message) => {
      const m = message as { from?: string; reader?: string; all?: boolean };
      if (m.from === this.#self) return;
      if (m.all === true) this.#cache.clear();
      else if (typeof m.reader === 'string') this.#cache.delete(BigInt(m.reader));
    });
  }

  readonly read: Readers = async (readerId) => {
    const known = this.readNow(readerId);
    if (known !== undefined) return known;
    let reader: Reader | undefined;
    try {
      // One query per reader however many reads wait for it.
      reader = await this.#cache.fetch(readerId);
    } catch {
      // Aborted: the reader was forgotten (a follow) while it was read. Read again, past the cache.
    }
    return this.#withPosts(reader ?? (await this.#load(readerId)));
  };

  readonly readNow: ReadersNow = (readerId) => {
    const status: LRUCache.Status<bigint, Reader> = {};
    const known = this.#cache.get(readerId, { status });
    if (known === undefined) return undefined;
    // Past its TTL: still answered (the bus forgets what changes at once; the TTL only bounds a lost
    // message), and read again in the background so a busy reader never waits on the query.
    if (status.get === 'stale') this.#cache.fetch(readerId).catch(() => undefined);
    return this.#withPosts(known);
  };

  #withPosts(reader: Reader): Reader {
    const recentPosts = this.#posted.get(reader.id);
    return recentPosts === undefined ? reader : { ...reader, recentPosts };
  }

  async #load(readerId: bigint): Promise<Reader> {
    const [counts, following] = await Promise.all([this.#follows.counts(readerId), this.#follows.followingOf(readerId)]);
    const authors = new Set([readerId, ...following.map((f) => f.id)]);
    return {
      id: readerId,
      authors: [...authors],
      pulled: [...(counts.pulled ? [readerId] : []), ...following.filter((f) => f.pulled).map((f) => f.id)],
      sees: (authorId) => authors.has(authorId),
      lastReadAt: counts.lastReadAt,
    };
  }

  /** The reader posted through this process: their reads show it, from the cache once it is there, else from the database. */
  posted(authorId: bigint, tweetId: bigint): void {
    const recent = this.#posted.get(authorId) ?? [];
    // A new array: readers handed out keep the list they were given.
    this.#posted.set(authorId, [...recent.slice(1 - RECENT_POSTS_KEPT), tweetId]);
  }

  /** A tweet deleted through this process: the author's reads no longer wait for it to be delivered. */
  unposted(authorId: bigint, tweetId: bigint): void {
    const recent = this.#posted.get(authorId);
    if (recent === undefined || !recent.includes(tweetId)) return;
    const rest = recent.filter((id) => id !== tweetId);
    if (rest.length === 0) this.#posted.delete(authorId);
    else this.#posted.set(authorId, rest, { noUpdateTTL: true });
  }

  /** The reader's follows changed (here): read again everywhere. */
  forget(readerId: bigint): void {
    this.#cache.delete(readerId);
    this.#tell({ reader: readerId.toString() });
  }

  /** A read was recorded: kept here (other processes may keep an older time, which costs at most an early mark). */
  markedRead(readerId: bigint, at: number): void {
    const known = this.#cache.peek(readerId);
    if (known === undefined) return;
    // A stale reader is read again rather than given a new lease of life.
    if (this.#cache.getRemainingTTL(readerId) <= 0) this.#cache.delete(readerId);
    else this.#cache.set(readerId, { ...known, lastReadAt: at });
  }

  /** An author posted a tweet readers pull: the first time this process sees it, every reader is read again everywhere. */
  pulled(authorId: bigint): void {
    if (this.#pulled.has(authorId)) return;
    this.#pulled.set(authorId, true);
    this.#cache.clear();
    this.#tell({ all: true });
  }

  #tell(message: { reader?: string; all?: boolean }): void {
    this.#bus?.publish(CHANNEL, { from: this.#self, ...message }).catch(() => undefined);
  }
}
