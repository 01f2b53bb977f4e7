import Fastify, { type FastifyInstance } from 'fastify';
import { registerErrorHandlers } from '../../../http/error-handler.js';
import { ManualClock } from '../../../platform/clock/index.js';
import { SnowflakeIdGenerator } from '../../../platform/ids/index.js';
import { eventsOf, OutboxRelay, outboxMigrationsFor } from '../../../platform/outbox/index.js';
import type { PublishInput, QueuePort } from '../../../platform/queue/index.js';
import type { SqlDatabase } from '../../../platform/sql/index.js';
import { SqliteDatabase } from '../../../platform/sql/sqlite/sqlite-database.js';
import type { TimelineStore } from '../../../platform/timelines/index.js';
import type { PublicUser, UserDirectory } from '../../accounts/index.js';
import type { FEED_EVENT_GROUPS} from '../index.js';
import { createFeed, FANOUT_TOPIC, feedMigrations, type Feed, type FeedEvent } from '../index.js';

/** A user of the harness. */
export interface HarnessUser extends PublicUser {
  /** Headers that sign a request in as this user. */
  headers: Record<string, string>;
}

/**
 * The feed on a database of its own, its routes on a bare Fastify app. With an in-process store the
 * fan-out is inline (done by the requests themselves); with another store (Redis, a spy) it is
 * queued, and `drain` runs it by hand.
 */
export interface FeedHarness {
  app: FastifyInstance;
  feed: Feed;
  sql: SqlDatabase;
  clock: ManualClock;
  timelines: TimelineStore;
  /** Registers a user in the fake directory (with a new id, or the one of a user of another harness). */
  addUser(username: string, existing?: PublicUser): HarnessUser;
  /**
   * Relays the outbox and, when the fan-out is queued, runs it over every batch, in order;
   * `twice(events)` true runs a batch a second time at once (a redelivery). Returns the events relayed.
   */
  drain(twice?: (events: readonly FeedEvent[]) => boolean): Promise<FeedEvent[]>;
  /** Events published to a consumer group's topic so far (all drains). */
  published(group: (typeof FEED_EVENT_GROUPS)[number]): FeedEvent[];
  close(): Promise<void>;
}

export interface FeedHarnessOptions {
  timelines: TimelineStore;
  /** A fresh, empty database (migrated here, closed by `close`); default: in-memory SQLite. */
  sql?: SqlDatabase;
  celebrityThreshold?: number;
  inactiveDays?: number;
  fanoutBatch?: number;
  onTimelineError?: (error: unknown) => void;
  /** Leave `sql` open on close (a second harness on the same database: a restart). */
  keepSql?: boolean;
}

/** Builds a harness; close it after the test. */
export async function createFeedHarness(options: FeedHarnessOptions): Promise<FeedHarness> {
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  const sql = options.sql ?? new SqliteDatabase({ filename: ':memory:' });
  await sql.migrate({ ...outboxMigrationsFor(sql.dialect), ...feedMigrations(sql.dialect) });
  const userIds = new SnowflakeIdGenerator(clock, 1);
  const byName = new Map<string, PublicUser>();
  const users: UserDirectory = {
    byUsername: async (name) => byName.get(name.toLowerCase()) ?? null,
    byIds: async (ids) => new Map([...byName.values()].filter((u) => ids.includes(u.id)).map((u) => [u.id, u])),
    search: async () => [],
  };
  const topics = new Map<string, FeedEvent[]>();
  const relayed: FeedEvent[] = [];
  const unread: FeedEvent[][] = [];
  const queue = {
    async publish<T>(topic: string, messages: readonly PublishInput<T>[]) {
      const list = topics.get(topic) ?? [];
      topics.set(topic, list);
      for (const m of messages) {
        const events = eventsOf(m.payload as FeedEvent | FeedEvent[]);
        list.push(...events);
        if (topic === FANOUT_TOPIC) unread.push([...events]);
        else if (topic === 'feed.search') relayed.push(...events);
      }
    },
  } as unknown as QueuePort;
  const feed = createFeed({
    sql,
    clock,
    ids: new SnowflakeIdGenerator(clock, 2),
    users,
    timelines: options.timelines,
    celebrityThreshold: options.celebrityThreshold ?? 3,
    inactiveDays: options.inactiveDays ?? 1,
    fanoutBatch: options.fanoutBatch ?? 2,
    outbox: { notify: () => undefined },
    onTimelineError: options.onTimelineError,
  });
  await feed.start();
  const relay = new OutboxRelay(sql, queue, { routes: feed.relayRoutes });

  const app = Fastify();
  const principals = new Map<string, PublicUser>();
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const user = principals.get(String(request.headers['x-test-user'] ?? ''));
    request.principal = user === undefined ? null : { userId: user.id, username: user.username, via: 'jwt' };
  });
  registerErrorHandlers(app);
  await app.register(feed.routes);
  await app.ready();

  return {
    app,
    feed,
    sql,
    clock,
    timelines: options.timelines,
    addUser(username, existing) {
      const user: PublicUser = existing ?? { id: userIds.next().toString(), username, createdAt: clock.now() };
      byName.set(username, user);
      principals.set(user.id, user);
      return { ...user, headers: { 'x-test-user': user.id } };
    },
    async drain(twice = () => false) {
      await relay.drain();
      for (const events of unread.splice(0)) {
        await feed.fanout(events);
        if (twice(events)) await feed.fanout(events);
      }
      return relayed.splice(0);
    },
    published: (group) => [...(topics.get(group) ?? [])],
    async close() {
      await app.close();
      await options.timelines.close();
      if (!options.keepSql) await sql.close();
    },
  };
}
