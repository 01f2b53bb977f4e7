import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { Clock } from '../../platform/clock/index.js';
import type { IdGenerator } from '../../platform/ids/index.js';
import { eventsOf } from '../../platform/outbox/index.js';
import { outageGate, type HandlerWrapper, type QueuePort, type Subscription } from '../../platform/queue/index.js';
import { tablesOf, type SqlDatabase } from '../../platform/sql/index.js';
import type { PubSubPort } from '../../platform/pubsub/index.js';
import type { TimelineStore } from '../../platform/timelines/index.js';
import type { PreRouting } from '../../shared/module.js';
import type { UserDirectory } from '../accounts/index.js';
import { fanoutHandler } from './fanout.consumer.js';
import { inlineFanout, queuedFanout, type Fanout } from './fanout.js';
import { invalidCursor } from './feed.errors.js';
import { FANOUT_TOPIC, feedRelayRoutes, type FeedEvent } from './feed.events.js';
import { parseId, userIdOf } from './feed.ids.js';
import type { Page, Profile, Tweet, TweetView, UserSummary } from './feed.model.js';
import { graphReaders, SqlReaders } from './feed.readers.js';
import { feedRoutes, renderTweets } from './feed.routes.js';
import { FeedShards } from './feed.shards.js';
import type { FeedTables } from './feed.tables.js';
import { FollowerGraph } from './follower-graph.js';
import { FollowsRepository } from './follows.repository.js';
import { FollowsService } from './follows.service.js';
import { HomeFeeds, type TimelineChange } from './home-feeds.js';
import { HomeTimeline } from './home-timeline.js';
import { HOME_PATH, homeFastPath } from './home.fast-path.js';
import { TweetsRepository } from './tweets.repository.js';
import { TweetsService } from './tweets.service.js';
import { TweetViews } from './tweet-views.js';

export { feedMigrations } from './feed.migrations.js';
export { MAX_TWEET_LENGTH, textEntities, type TextEntity } from './feed.text.js';
export { TweetNotFoundError } from './feed.errors.js';
export { FEED_SHARDED_TABLES, FeedShards } from './feed.shards.js';
export { feedShardStatus, openFeedShards, reshardFeed, type FeedShardSpec, type FeedShardStatus } from './feed.sharding.js';
export { FANOUT_TOPIC, FEED_EVENTS_TOPIC, FEED_EVENT_GROUPS, FEED_READS_TOPIC, type FeedEvent, type FeedEventGroup } from './feed.events.js';
export type { Page, Profile, Tweet, TweetView, UserSummary } from './feed.model.js';
export type { TimelineChange } from './home-feeds.js';

export interface FeedDeps {
  /** The main database: follows and counters, and tweets unless `shards` says otherwise. */
  sql: SqlDatabase<unknown>;
  /** Tweets and likes on shards by author (FEED_SHARDS); see {@link openFeedShards}. */
  shards?: FeedShards | undefined;
  clock: Clock;
  /** Snowflake ids: the feed reads time out of tweet ids. */
  ids: IdGenerator;
  /** The accounts directory: mentions, follows by name, authors' names. */
  users: UserDirectory;
  timelines: TimelineStore;
  /** Authors with more followers are not fanned out on write (FEED_CELEBRITY_THRESHOLD). */
  celebrityThreshold: number;
  /** Fan-out skips followers who have not read for this long (FEED_INACTIVE_DAYS). */
  inactiveDays: number;
  /** Followers per timeline-store call (FEED_FANOUT_BATCH). */
  fanoutBatch: number;
  /** The outbox relay, woken after every commit that added events. */
  outbox: { notify(): void };
  /**
   * Where processes tell each other what cached tweets and likes to forget (the live pub/sub; with
   * several API processes, Redis). Absent: this process is the only writer.
   */
  bus?: PubSubPort | undefined;
  /** Told when the timeline store fails during a read, which then goes on from the database (log it). */
  onTimelineError?: ((error: unknown) => void) | undefined;
}

/** Who hears about deliveries (metrics, the live stream); set with `Feed.listen`. */
export interface FeedListeners {
  /** After each delivery of a tweet: timelines reached, and the tweet's posting time (epoch ms). */
  onDelivered?: ((count: number, postedAt: number) => void) | undefined;
  /** Which timelines each push or removal reached (the live stream's source). */
  onChanged?: ((users: readonly bigint[], change: TimelineChange) => void) | undefined;
  /** Whether anyone watches changes now (open live streams): when not, deliveries skip gathering them. */
  watching?: (() => boolean) | undefined;
}

export interface FanoutOptions extends FeedListeners {
  /** Messages handled at once (default 1: a message is a batch of events, in order). */
  concurrency?: number | undefined;
  /**
   * While the timeline store or the database is down, a delivery waits up to this long for it to
   * come back instead of spending its attempts (default 10 s; keep it inside the visibility timeout).
   */
  outageWaitMs?: number | undefined;
  /** Told when a delivery starts waiting for an outage to end. */
  onOutage?: ((error: unknown) => void) | undefined;
  /** Wraps the handler (tracing). */
  around?: HandlerWrapper | undefined;
  /** Progress of loading the follower graph (follows loaded so far). */
  onLoading?: ((follows: number) => void) | undefined;
}

/** Who acts: the signed-in user. */
export interface FeedActor {
  userId: string;
  username: string;
}

/**
 * What the feed's routes do, for another face of the same feed (the Mastodon API): the same
 * services, rules and errors, so a status posted through either API is in both.
 */
export interface FeedActions {
  post(actor: FeedActor, input: { text: string; replyTo?: string | undefined }): Promise<Tweet>;
  /** A live tweet; TweetNotFoundError (404) otherwise. */
  get(id: string): Promise<Tweet>;
  delete(actor: FeedActor, id: string): Promise<void>;
  /** The exact like count after. */
  like(actor: FeedActor, id: string): Promise<number>;
  unlike(actor: FeedActor, id: string): Promise<number>;
  follow(actor: FeedActor, username: string): Promise<boolean>;
  unfollow(actor: FeedActor, username: string): Promise<boolean>;
  /** A user's public numbers; 404 for an unknown name. */
  profile(username: string): Promise<Profile>;
  /** Followers or followees, highest account id first; the cursor is the last id of the previous page. */
  followList(direction: 'followers' | 'following', username: string, limit: number, cursor?: string | undefined): Promise<Page<UserSummary>>;
  /** A user's live tweets, newest first, below the cursor (a tweet id). */
  userTimeline(userId: string, options: { limit: number; cursor?: string | undefined }): Promise<Page<Tweet>>;
  /** Everyone's live tweets, newest first, below `before` (the local public timeline). */
  publicTimeline(options: { limit: number; before?: string | undefined }): Promise<Tweet[]>;
  /** The live replies to a tweet, oldest first. */
  replies(tweetId: string, limit: number): Promise<Tweet[]>;
  /** Who liked a live tweet, newest like first (user ids). */
  likers(tweetId: string, limit: number): Promise<string[]>;
}

export interface Feed {
  /** The routes' operations, for the Mastodon API. */
  readonly actions: FeedActions;
  /**
   * `inline`: the timelines are in this process, and every change reaches them right after its
   * commit; `queued`: they are in Redis, and the fan-out consumer (startFanout) applies the changes.
   */
  readonly fanoutMode: 'inline' | 'queued';
  /** Where the outbox relay sends the feed's outbox topics (the fan-out topic only when queued). */
  readonly relayRoutes: Readonly<Record<string, readonly string[]>>;
  /** Loads what the feed keeps in memory (the follower graph, when inline); call before serving. */
  start(options?: { onLoading?: (follows: number) => void }): Promise<void>;
  /** Sets who hears about deliveries made inline (metrics, the live stream). */
  listen(listeners: FeedListeners): void;
  /** Every feed route; needs the app's authentication hook (`request.principal`). */
  routes: FastifyPluginAsync;
  /** The home timeline answered before the router when it needs no I/O (home.fast-path.ts). */
  preRouting(http: PreRouting): (req: IncomingMessage, res: ServerResponse) => boolean;
  /**
   * Starts the fan-out consumer of `feed.fanout` (queued mode: the timelines are in Redis, so it
   * may run in any process): it loads its own copy of the follower graph first, then consumes.
   */
  startFanout(queue: QueuePort, options?: FanoutOptions): Promise<Subscription>;
  /** Handles feed events as the fan-out consumer would (tests, replays), on a graph loaded on first use. */
  fanout(events: readonly FeedEvent[]): Promise<void>;
  /**
   * Tweet views for ids, in the order given, deleted and unknown ones left out; `likedByMe` when
   * `viewerId` is given. The search module's `hydrateTweets`.
   */
  hydrateTweets(ids: string[], viewerId: string | null): Promise<TweetView[]>;
  /** Live tweets by id, in the order given (for notifications and the stream). */
  tweetsByIds(ids: readonly string[]): Promise<Tweet[]>;
  /** A page of a user's followers in ascending id order after `after` (stream/notification fan-out). */
  followersOf(userId: string, options: { limit: number; after?: string | undefined }): Promise<string[]>;
  /** Whether `followerId` follows `followeeId` now. */
  isFollowing(followerId: string, followeeId: string): Promise<boolean>;
  /** A page of a user's home timeline (what the route serves, before rendering). */
  homeTimeline(userId: string, options: { limit: number; cursor?: string | undefined }): Promise<Page<Tweet>>;
}

/** The feed module: tweets, likes, follows, home and user timelines, and the fan-out service. */
export function createFeed(deps: FeedDeps): Feed {
  const sql = tablesOf<FeedTables>(deps.sql);
  const tweets = new TweetsRepository(sql.db);
  const follows = new FollowsRepository(sql.db);
  const shards = deps.shards ?? new FeedShards({ main: deps.sql });
  // Every feed write is small and hot: writes arriving together share one commit.
  const writes = shards.mainWrites;
  const { clock, timelines, outbox } = deps;
  const listeners: FeedListeners = {};
  const homeFeedsOn = (graph: FollowerGraph, hooks: FeedListeners) =>
    new HomeFeeds({ graph, timelines, tweets: shards, clock, celebrityThreshold: deps.celebrityThreshold, inactiveDays: deps.inactiveDays, batch: deps.fanoutBatch, ...hooks });
  // Inline when the timelines live in this process: the graph shares their numbering of users.
  const local = timelines.local;
  const graph = local === undefined ? undefined : new FollowerGraph(local.slots);
  const home = homeFeedsOn(graph ?? new FollowerGraph(), {
    onDelivered: (count, postedAt) => listeners.onDelivered?.(count, postedAt),
    onChanged: (users, change) => listeners.onChanged?.(users, change),
    watching: () => listeners.onChanged !== undefined && (listeners.watching?.() ?? true),
  });
  const sqlReaders = graph === undefined ? new SqlReaders(follows, { bus: deps.bus }) : undefined;
  const fanout: Fanout = sqlReaders === undefined ? inlineFanout(home, graph!) : queuedFanout(follows, timelines, sqlReaders);
  const readers = sqlReaders ?? graphReaders(graph!);
  const views = new TweetViews({ tweets: shards, bus: deps.bus });
  const homeTimeline = new HomeTimeline({ tweets: shards, follows, readers, views, home, fanout, timelines, writes, clock, onError: deps.onTimelineError });
  const { users } = deps;
  const tweetsService = new TweetsService({ tweets, shards, follows, writes, home, fanout, views, clock, ids: deps.ids, users, outbox });
  const followsService = new FollowsService({ follows, writes, fanout, clock, users, outbox });
  /** A fan-out consumer's own graph and rules (queued mode), loaded before it handles anything. */
  const consumerOf = async (hooks: FeedListeners, onLoading?: (follows: number) => void) => {
    const own = new FollowerGraph();
    await follows.loadGraph(own, onLoading);
    return fanoutHandler({ home: homeFeedsOn(own, hooks), follows, tweets: shards });
  };
  let plainFanout: Promise<(events: readonly FeedEvent[]) => Promise<void>> | undefined;

  const cursorOf = (cursor: string | undefined): bigint | undefined => {
    if (cursor === undefined) return undefined;
    const id = parseId(cursor);
    if (id === null) throw invalidCursor();
    return id;
  };
  const actions: FeedActions = {
    post: (actor, input) => tweetsService.post(actor, input),
    get: (id) => tweetsService.get(id),
    delete: (actor, id) => tweetsService.delete(actor, id),
    like: (actor, id) => tweetsService.like(actor, id),
    unlike: (actor, id) => tweetsService.unlike(actor, id),
    follow: (actor, username) => followsService.follow(actor, username),
    unfollow: (actor, username) => followsService.unfollow(actor, username),
    profile: (username) => followsService.profile(username),
    followList: (direction, username, limit, cursor) => followsService.list(direction, username, limit, cursorOf(cursor)),
    userTimeline: (userId, options) => tweetsService.byAuthor(userId, options.limit, cursorOf(options.cursor)),
    publicTimeline: (options) => shards.latest(options.limit, cursorOf(options.before)),
    replies: async (tweetId, limit) => {
      const id = parseId(tweetId);
      return id === null ? [] : shards.repliesTo(id, limit);
    },
    likers: async (tweetId, limit) => {
      const tweet = await tweetsService.get(tweetId);
      return shards.likers(userIdOf(tweet.authorId), BigInt(tweet.id), limit);
    },
  };

  return {
    actions,
    fanoutMode: fanout.mode,
    relayRoutes: feedRelayRoutes(fanout.mode),
    async start(options = {}) {
      if (graph !== undefined) await follows.loadGraph(graph, options.onLoading);
    },
    listen(next) {
      Object.assign(listeners, next);
    },
    routes: feedRoutes({ tweets: tweetsService, follows: followsService, home: homeTimeline, views }),
    preRouting: (http) => homeFastPath({ ...http, home: homeTimeline, views, limits: http.limitsOf(`GET ${HOME_PATH}`), observe: http.observe(HOME_PATH) }),
    async startFanout(queue, options = {}) {
      const handle = await consumerOf(options, options.onLoading);
      // A lost push would leave a stored timeline without the tweet: an outage pauses deliveries, never drops them.
      const handleThroughOutages = outageGate<FeedEvent | FeedEvent[]>((message) => handle(eventsOf(message.payload)), {
        ping: async () => {
          await Promise.all([timelines.ping(), deps.sql.ping()]);
        },
        maxWaitMs: options.outageWaitMs ?? 10_000,
        onWait: options.onOutage,
      });
      return queue.consume<FeedEvent | FeedEvent[]>(
        FANOUT_TOPIC,
        options.around === undefined ? handleThroughOutages : options.around(handleThroughOutages),
        { concurrency: options.concurrency ?? 1 },
      );
    },
    async fanout(events) {
      plainFanout ??= consumerOf({});
      await (await plainFanout)(events);
    },
    async hydrateTweets(ids, viewerId) {
      return renderTweets(views, await tweetsService.byIds(ids), viewerId);
    },
    tweetsByIds: (ids) => tweetsService.byIds(ids),
    async followersOf(userId, options) {
      const after = options.after === undefined ? undefined : (parseId(options.after) ?? undefined);
      return (await follows.followersAfter(userIdOf(userId), options.limit, after)).map(String);
    },
    isFollowing: (followerId, followeeId) => follows.isFollowing(userIdOf(followerId), userIdOf(followeeId)),
    homeTimeline: (userId, options) => {
      const cursor = options.cursor === undefined ? undefined : parseId(options.cursor);
      if (cursor === null) return Promise.reject(invalidCursor());
      return homeTimeline.page(userIdOf(userId), options.limit, cursor);
    },
  };
}
