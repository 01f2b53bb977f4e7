import type { FastifyPluginAsync } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { systemClock, type Clock } from '../../platform/clock/index.js';
import type { HandlerWrapper, QueuePort, Subscription } from '../../platform/queue/index.js';
import { tablesOf, type SqlDatabase } from '../../platform/sql/index.js';
import type { UserDirectory } from '../accounts/index.js';
import type { FeedEvent } from './feed-event.js';
import { searchConsumer } from './search.consumer.js';
import { fullTextEngineFor } from './search.migrations.js';
import { SearchRepository } from './search.repository.js';
import { searchRoutes, type SearchRoutesOptions } from './search.routes.js';
import { SearchService } from './search.service.js';
import type { SearchTables } from './search.tables.js';

export { searchMigrations } from './search.migrations.js';
export type { HydrateTweets, SearchRoutesOptions } from './search.routes.js';
export type { SearchPage, TweetHit } from './search.service.js';

/** The queue topic the outbox relay fills with every feed event for this module. */
export const SEARCH_TOPIC = 'feed.search';

export interface SearchDeps {
  sql: SqlDatabase<unknown>;
  /** The accounts directory: author names and user search. */
  users: Pick<UserDirectory, 'byIds' | 'search'>;
  /** When deleted tweets leave the index (default: the system clock). */
  clock?: Clock | undefined;
}

/** Options of the consumer. */
export interface SearchConsumerOptions {
  /** Counters `search_events_total{outcome}` go there. */
  registry?: Registry | undefined;
  /** Wraps the handler (the worker's yield to a busy API thread, waiting out a database outage). */
  around?: HandlerWrapper | undefined;
  /** Messages handled at once (default 1: SQLite has one writer anyway). */
  concurrency?: number | undefined;
}

export interface Search {
  /** `GET /api/v1/search`. Register with `{ hydrateTweets }` once the feed can hydrate. */
  routes: FastifyPluginAsync<SearchRoutesOptions>;
  /** Starts the consumer of `feed.search` that keeps the index up to date. */
  startConsumer(queue: QueuePort, options?: SearchConsumerOptions): Subscription;
  /** The queries behind the routes, for tests and other callers. */
  service: SearchService;
}

/** The search module: a full-text index of tweets fed by feed events, and the search API. */
export function createSearch(deps: SearchDeps): Search {
  const sql = tablesOf<SearchTables>(deps.sql);
  const repository = new SearchRepository(sql, fullTextEngineFor(sql.dialect));
  const service = new SearchService(repository);
  const { users } = deps;
  return {
    service,
    routes: searchRoutes(service, users),
    startConsumer(queue, options = {}) {
      const counter =
        options.registry === undefined
          ? undefined
          : new Counter({ name: 'search_events_total', help: 'Feed events handled by the search indexer, by outcome.', labelNames: ['outcome'], registers: [options.registry] });
      const clock = deps.clock ?? systemClock;
      const handler = searchConsumer({ repository, now: () => clock.now(), onOutcome: counter === undefined ? undefined : (outcome) => counter.inc({ outcome }) });
      return queue.consume<FeedEvent | FeedEvent[]>(
        SEARCH_TOPIC,
        options.around === undefined ? handler : options.around(handler),
        { concurrency: options.concurrency ?? 1 },
      );
    },
  };
}
