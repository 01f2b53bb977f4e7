import { Counter, Histogram } from 'prom-client';
import { tracedHandler } from '../../observability/traced-handler.js';
import { OutboxRelay, outboxMigrationsFor } from '../../platform/outbox/index.js';
import type { Subscription } from '../../platform/queue/index.js';
import { ringMigrations } from '../../platform/sharding/index.js';
import { defineModule } from '../../shared/module.js';
import type { UserDirectory } from '../accounts/index.js';
import { publishToUser, type Stream } from '../stream/index.js';
import { createFeed, feedMigrations, openFeedShards, type Feed, type FeedShards, type TimelineChange } from './index.js';
import { METRIC } from '../../contracts/metric-names.js';

/** The outbox relays of the main database and of every feed shard, as one. */
export type OutboxRelays = Pick<OutboxRelay, 'start' | 'notify' | 'drain' | 'stop'>;

export interface FeedModule {
  readonly feed: Feed;
  /** Moves committed feed events from each database's outbox to the queue. */
  readonly outbox: OutboxRelays;
  /** Tweets and likes on shards (FEED_SHARDS), when configured. */
  readonly shards: FeedShards | undefined;
  readonly routes: Feed['routes'];
  readonly preRouting: Feed['preRouting'];
  hydrateTweets: Feed['hydrateTweets'];
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Tweets, follows, timelines (API role), and the fan-out where the home timelines are: inline
 * (timelines in this process) the writes deliver as they commit; queued (timelines in Redis) this
 * process runs the consumer of `feed.fanout`, after loading its follower graph. Deliveries go live
 * to followers with an open stream on this instance; the others read them from their timeline.
 */
export const feedModule = defineModule({
  name: 'feed',
  needs: ['users', 'stream'],
  // The outbox and the shard ring (FEED_SHARDS) are the feed's: the ring is kept in the main database for every process to follow.
  migrations: (dialect) => ({ ...outboxMigrationsFor(dialect), ...feedMigrations(dialect), ...ringMigrations }),
  create: async ({ config, adapters, clock, ids, logger, metrics, tracing, onClose }, { users, stream }: { users: { directory: UserDirectory }; stream: Stream }): Promise<FeedModule> => {
    const { sql, queue, pubsub, shardDatabases } = adapters;
    const sharded = shardDatabases.size === 0 ? undefined : await openFeedShards(sql, { shards: shardDatabases, vnodes: config.FEED_SHARD_VNODES });
    // Processes follow a reshard through the main database's ring (writes also find it on their shard).
    if (sharded !== undefined) {
      const ringTimer = setInterval(() => sharded.shards.refresh().catch((err: unknown) => logger.warn({ err }, 'feed ring refresh failed')), 1_000).unref();
      onClose(() => clearInterval(ringTimer));
    }
    const feed = createFeed({
      sql,
      shards: sharded?.shards,
      clock,
      ids,
      users: users.directory,
      timelines: adapters.timelines,
      celebrityThreshold: config.FEED_CELEBRITY_THRESHOLD,
      inactiveDays: config.FEED_INACTIVE_DAYS,
      fanoutBatch: config.FEED_FANOUT_BATCH,
      bus: pubsub,
      // The relays below need the feed's routes; a write notifies them once they exist.
      outbox: { notify: () => outbox.notify() },
      onTimelineError: (err) => logger.warn({ err }, 'timeline store failed; reading from the database'),
    });
    // Each database with an outbox (the main one, every feed shard) has a relay.
    const relays = [['main', sql] as const, ...shardDatabases].map(
      ([name, db]) => new OutboxRelay(db, queue, { routes: feed.relayRoutes, key: `outbox:${name}`, onError: (err) => logger.warn({ err }, 'outbox relay failed') }),
    );
    const outbox: OutboxRelays = {
      start: () => relays.forEach((r) => r.start()),
      notify: () => relays.forEach((r) => r.notify()),
      drain: async () => void (await Promise.all(relays.map((r) => r.drain()))),
      stop: async () => void (await Promise.all(relays.map((r) => r.stop()))),
    };

    const deliveries = new Counter({ name: METRIC.fanoutDeliveries, help: 'Tweet ids pushed into home timelines by fan-out.', registers: [metrics.registry] });
    const lag = new Histogram({
      name: METRIC.fanoutLag,
      help: 'From posting a tweet to its push into a batch of home timelines.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [metrics.registry],
    });
    const listeners = {
      watching: () => stream.watching(),
      onDelivered(count: number, postedAt: number) {
        deliveries.inc(count);
        lag.observe(Math.max(0, Date.now() - postedAt) / 1000);
      },
      onChanged(followers: readonly bigint[], change: TimelineChange) {
        const data = { id: change.tweetId.toString(), authorId: change.authorId.toString() };
        for (const follower of followers) {
          const id = follower.toString();
          if (id !== data.authorId && stream.wants(id)) {
            publishToUser(pubsub, id, { type: change.type, data }).catch((err: unknown) => logger.warn({ err }, 'live timeline event failed'));
          }
        }
      },
    };
    let fanout: Subscription | undefined;

    return {
      feed,
      outbox,
      shards: sharded?.shards,
      routes: feed.routes,
      preRouting: (http) => feed.preRouting(http),
      hydrateTweets: (tweetIds, viewerId) => feed.hydrateTweets(tweetIds, viewerId),
      async start() {
        // Inline fan-out delivers from the follower graph in memory: loaded before the first request.
        const loading = Date.now();
        await feed.start({ onLoading: (follows) => logger.debug({ follows }, 'loading the follower graph') });
        if (feed.fanoutMode === 'inline') {
          logger.info({ ms: Date.now() - loading }, 'follower graph loaded');
          feed.listen(listeners);
        } else {
          const started = Date.now();
          fanout = await feed.startFanout(queue, {
            ...listeners,
            around: tracedHandler(tracing),
            // Well inside the visibility timeout, so a waiting message is never redelivered meanwhile.
            outageWaitMs: Math.floor(config.QUEUE_VISIBILITY_TIMEOUT_MS / 3),
            onOutage: (err) => logger.warn({ err }, 'fan-out waits for the timeline store or the database to come back'),
          });
          logger.info({ ms: Date.now() - started }, 'fan-out consumer started (follower graph loaded)');
        }
        outbox.start();
      },
      async close() {
        // Committed events reach the durable queue; the consumers pick them up after a restart.
        await outbox.stop();
        await fanout?.stop();
        feed.listen({ onDelivered: undefined, onChanged: undefined, watching: undefined });
      },
    };
  },
});
