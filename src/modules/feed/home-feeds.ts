import type { Clock } from '../../platform/clock/index.js';
import { checkEntry, type TimelineStore } from '../../platform/timelines/index.js';
import type { FollowerGraph } from './follower-graph.js';
import type { TweetReads } from './feed.shards.js';

const DAY_MS = 86_400_000;
/**
 * A reader counts as inactive (timeline rebuilt) this much sooner than fan-out skips them, so that
 * a fan-out running on a clock slightly ahead never skips someone whose timeline is then trusted.
 */
const INACTIVE_SLACK_MS = 60 * 60_000;

/** Tweets whose pushes are in flight at once into a store in another server. */
const PIPELINED_TWEETS = 32;

/** A change fan-out made to home timelines. */
export interface TimelineChange {
  type: 'tweet' | 'delete';
  tweetId: bigint;
  authorId: bigint;
}

/** A tweet to deliver: decided at posting to be pushed (its author was at or under the threshold). */
export interface Delivery {
  tweetId: bigint;
  authorId: bigint;
  /** Posting time, epoch ms (for the post-to-visible figure). */
  createdAt: number;
}

export interface HomeFeedsDeps {
  /** Who follows whom: the fan-out reads its follower lists from it (never SQL per tweet). */
  graph: FollowerGraph;
  timelines: TimelineStore;
  tweets: Pick<TweetReads, 'latestOfAuthors'>;
  clock: Clock;
  /** Authors with more followers are pulled at read time (FEED_CELEBRITY_THRESHOLD). */
  celebrityThreshold: number;
  /** Followers who have not read for this long are skipped (FEED_INACTIVE_DAYS). */
  inactiveDays: number;
  /** Followers per store call of a store that is not in this process (FEED_FANOUT_BATCH). */
  batch: number;
  /** After each delivery of a tweet: how many timelines took it, and when it was posted. */
  onDelivered?: ((count: number, postedAt: number) => void) | undefined;
  /** Which timelines a tweet was pushed to or removed from (the live stream's source). */
  onChanged?: ((users: readonly bigint[], change: TimelineChange) => void) | undefined;
  /** Whether `onChanged` wants the users of deliveries now (anyone watching live); default: when set. */
  watching?: (() => boolean) | undefined;
}

/**
 * The one owner of home timelines, as Mastodon's FeedManager is: who receives which tweet (the
 * author and every follower who read within FEED_INACTIVE_DAYS; nobody for tweets of authors over
 * FEED_CELEBRITY_THRESHOLD, which readers pull), what a delete and an unfollow take back, what a
 * follow adds, and when a reader's cached timeline cannot be trusted. Callers tell it what was
 * committed; it acts on the follower graph and the timeline store.
 *
 * With the in-process store (`timelines.local`), a delivery is a loop over the follower graph's
 * slots into the store's rings: ~50 ns per follower, inline after the commit. With a store in
 * another server (Redis), the same loop gathers ids and pushes them `batch` per call.
 */
export class HomeFeeds {
  readonly #deps: HomeFeedsDeps;

  constructor(deps: HomeFeedsDeps) {
    this.#deps = deps;
  }

  get graph(): FollowerGraph {
    return this.#deps.graph;
  }

  /** Whether a tweet the author posts now is pushed (fanned out on write) rather than pulled at read time. */
  pushes(followerCount: number): boolean {
    return followerCount <= this.#deps.celebrityThreshold;
  }

  /** Fan-out skips followers whose last read is older than this (epoch ms). */
  activeSince(now = this.#deps.clock.now()): number {
    return now - this.#deps.inactiveDays * DAY_MS;
  }

  /** Whether a reader whose last read was at `lastReadAt` may have been skipped by fan-out (rebuild before trusting the cache). */
  mayHaveBeenSkipped(lastReadAt: number | null, now: number): boolean {
    return lastReadAt === null || lastReadAt === 0 || lastReadAt < this.activeSince(now) + INACTIVE_SLACK_MS;
  }

  /**
   * Pushes committed tweets into the timelines of their authors and active followers. Idempotent
   * (the store keeps one entry per tweet id), so redelivery is harmless. Returns how many entries
   * the store took.
   */
  async deliver(tweets: readonly Delivery[]): Promise<number> {
    const local = this.#deps.timelines.local;
    if (local !== undefined) return this.deliverLocal(tweets);
    // Oldest first: a timeline appends a tweet newer than all it holds at the cost of one write,
    // and rewrites its tail for one that arrives late (commits side by side reach the outbox
    // slightly out of id order).
    tweets = [...tweets].sort((a, b) => (a.tweetId < b.tweetId ? -1 : a.tweetId > b.tweetId ? 1 : 0));
    let total = 0;
    // Tweets go out together: the store's calls are pipelined (one round trip carries many), and
    // the order does not matter (a timeline sorts what it is given).
    let next = 0;
    const worker = async () => {
      while (next < tweets.length) {
        const tweet = tweets[next++]!;
        const entry = checkEntry({ tweetId: tweet.tweetId, authorId: tweet.authorId });
        await this.#inBatches(tweet.authorId, async (users) => {
          await this.#deps.timelines.push(users, entry);
          total += users.length;
          this.#deps.onDelivered?.(users.length, tweet.createdAt);
          this.#deps.onChanged?.(users, { type: 'tweet', ...entry });
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(PIPELINED_TWEETS, tweets.length) }, worker));
    return total;
  }

  /** `deliver` into the in-process store, synchronously. */
  deliverLocal(tweets: readonly Delivery[]): number {
    const { graph, timelines, onDelivered, onChanged } = this.#deps;
    const local = timelines.local!;
    const since = this.activeSince();
    // Gathering who was reached costs more than the pushes themselves: only when someone watches.
    const tracking = onChanged !== undefined && (this.#deps.watching?.() ?? true);
    let total = 0;
    for (const tweet of tweets) {
      const { tweetId, authorId } = checkEntry({ tweetId: tweet.tweetId, authorId: tweet.authorId });
      const author = graph.slots.slotOf(authorId);
      const followers = graph.followersOf(author);
      const lastRead = graph.lastReadTimes;
      let added = local.pushSlot(author, tweetId, authorId) ? 1 : 0;
      const reached: number[] | undefined = !tracking ? undefined : added === 1 ? [author] : [];
      for (let i = 0; i < followers.length; i++) {
        const f = followers[i]!;
        if (lastRead[f]! >= since && local.pushSlot(f, tweetId, authorId)) {
          added++;
          reached?.push(f);
        }
      }
      total += added;
      onDelivered?.(added, tweet.createdAt);
      if (reached !== undefined && reached.length > 0) onChanged!(reached.map((s) => graph.slots.idOf(s)), { type: 'tweet', tweetId, authorId });
    }
    return total;
  }

  /** Takes a deleted tweet out of the timelines it was delivered to (it never shows again anyway: reads check). */
  async retract(tweetId: bigint, authorId: bigint): Promise<void> {
    await this.#inBatches(authorId, async (users) => {
      await this.#deps.timelines.removeTweet(users, tweetId);
      this.#deps.onChanged?.(users, { type: 'delete', tweetId, authorId });
    });
  }

  /**
   * After a follow (committed, and in the graph): the new author's tweets belong in the
   * follower's cached timeline. In this process's store, a full timeline gets the author's live
   * tweets newer than its oldest entry merged in (it then again holds every followed tweet from
   * its oldest entry up); a partial one is dropped, to be rebuilt by the next read's database
   * merge, which reads fewer rows than materialising up to `capacity` tweets of the author here.
   * In a store elsewhere (Redis), the timeline is dropped: one command, where a merge would be a
   * read and a database query per follow, and a new follower reads soon anyway.
   */
  async followed(followerId: bigint, followeeId: bigint): Promise<void> {
    const { timelines } = this.#deps;
    if (timelines.local === undefined) {
      await timelines.drop(followerId);
      return;
    }
    const oldest = await this.#fullFloor(followerId);
    if (oldest === undefined) return;
    if (oldest === null) {
      await timelines.drop(followerId);
      return;
    }
    const found = await this.#deps.tweets.latestOfAuthors([{ authorId: followeeId, before: undefined, after: oldest, limit: timelines.capacity }], false);
    for (const entry of found.get(followeeId) ?? []) await timelines.push([followerId], entry);
  }

  /** Forgets a cached timeline (best effort): the next read rebuilds it from the database. */
  async forget(userId: bigint): Promise<void> {
    await this.#deps.timelines.drop(userId).catch(() => undefined);
  }

  /** After an unfollow (committed, and out of the graph): the author's tweets leave the follower's timeline. */
  async unfollowed(followerId: bigint, followeeId: bigint): Promise<void> {
    await this.#deps.timelines.removeAuthor(followerId, followeeId);
  }

  /**
   * The oldest id of a full cached timeline; null for a partial one; undefined when there is none
   * (nothing to keep current).
   */
  #fullFloor(userId: bigint): bigint | null | undefined {
    const { timelines, graph } = this.#deps;
    return timelines.local!.fullFloor(graph.slots.slotOf(userId));
  }

  /** Calls `act` with the author and their active followers, `batch` users per call. */
  async #inBatches(authorId: bigint, act: (users: bigint[]) => Promise<void>): Promise<void> {
    const { graph, batch } = this.#deps;
    const since = this.activeSince();
    // A copy: the graph may change while a batch is out (an unfollow moves a follower in the list).
    const followers = graph.followersOf(graph.slots.slotOf(authorId)).slice();
    const lastRead = graph.lastReadTimes;
    let users: bigint[] = [authorId];
    for (let i = 0; i < followers.length; i++) {
      const f = followers[i]!;
      if (lastRead[f]! < since) continue;
      users.push(graph.slots.idOf(f));
      if (users.length >= batch) {
        await act(users);
        users = [];
      }
    }
    if (users.length > 0) await act(users);
  }
}
