import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.js';
import { buildApp } from '../app.js';
import { LoadSignal } from '../lib/load-signal.js';
import { CLICKS_TOPIC } from '../modules/analytics/index.js';
import { FEED_EVENT_GROUPS } from '../modules/feed/index.js';
import type { ProcessAdapters } from './adapters.js';
import type { Module } from '../shared/module.js';
import { openContext, type ContextOptions, type ProcessContext } from './context.js';
import { registerQueueGauges } from './gauges.js';
import { API_MODULES } from './api-modules.js';
import { buildModules, migrationsOf, startModules, uniqueModules, type ModulesOf } from './modules.js';
import { startWorkerThread } from '../worker/worker-host.js';
import { consumerContext, startWorkerConsumers, WORKER_MODULES } from './worker.js';

export { API_MODULES } from './api-modules.js';

export type ApiModules = ModulesOf<typeof API_MODULES>;

/**
 * The order the app registers the modules' routes in, apart from the build order (the stream is
 * built before the feed, which needs it): the OpenAPI document lists paths in this order.
 */
const ROUTE_ORDER: readonly string[] = ['users', 'accounts', 'links', 'analytics', 'feed', 'search', 'notifications', 'stream', 'oauth', 'mastodon', 'redirects'];

function inRouteOrder(modules: ApiModules): ApiModules {
  const rank = (name: string) => (ROUTE_ORDER.includes(name) ? ROUTE_ORDER.indexOf(name) : ROUTE_ORDER.length);
  return Object.fromEntries(Object.entries(modules).sort(([a], [b]) => rank(a) - rank(b))) as unknown as ApiModules;
}

/** The topics this deployment consumes (gauges, the operators' dead letters). */
export const QUEUE_TOPICS: readonly string[] = [CLICKS_TOPIC, ...FEED_EVENT_GROUPS];

/** What the API role is made of: its context (adapters opened on use) and its modules, with shortcuts to what operators and tests reach for. */
export interface ApiContainer extends ProcessContext {
  readonly modules: ApiModules;
  readonly queueTopics: readonly string[];
  readonly sql: ProcessAdapters['sql'];
  readonly queue: ProcessAdapters['queue'];
  readonly cache: ProcessAdapters['cache'];
  readonly pubsub: ProcessAdapters['pubsub'];
  readonly timelines: ProcessAdapters['timelines'];
  readonly rateLimits: ProcessAdapters['rateLimits'];
  readonly accounts: ApiModules['accounts'];
  readonly oauth: ApiModules['oauth'];
  readonly clicks: ApiModules['analytics']['clicks'];
  readonly feed: ApiModules['feed']['feed'];
  readonly feedShards: ApiModules['feed']['shards'];
  readonly outbox: ApiModules['feed']['outbox'];
  readonly search: ApiModules['search'];
  readonly stream: ApiModules['stream'];
}

function apiContainer(context: ProcessContext, modules: ApiModules): ApiContainer {
  const { adapters } = context;
  return {
    ...context,
    modules,
    queueTopics: QUEUE_TOPICS,
    sql: adapters.sql,
    queue: adapters.queue,
    cache: adapters.cache,
    pubsub: adapters.pubsub,
    timelines: adapters.timelines,
    rateLimits: adapters.rateLimits,
    accounts: modules.accounts,
    oauth: modules.oauth,
    clicks: modules.analytics.clicks,
    feed: modules.feed.feed,
    feedShards: modules.feed.shards,
    outbox: modules.feed.outbox,
    search: modules.search,
    stream: modules.stream,
  };
}

/** A running API instance: the container, its HTTP app and, when ROLES has it, the worker role beside it. */
export interface Runtime {
  readonly app: FastifyInstance;
  readonly container: ApiContainer;
  /** Graceful stop: refuse new requests, finish those in hand, flush buffers, stop consumers, close; once. */
  close(): Promise<void>;
}

/**
 * The API role: migrates, builds its modules, runs the worker role's consumers beside it when
 * ROLES has it (on a worker thread by default, or inline), starts the modules, then serves.
 * Everything started is closed in the reverse order.
 */
export async function assembleApi(config: Config, options: ContextOptions = {}): Promise<Runtime> {
  const context = openContext(config, { serviceName: `blueprint-${[...config.roles].join('-')}`, mainThread: true }, options);
  try {
    return await assemble(context);
  } catch (error) {
    await context.close().catch(() => {});
    throw error;
  }
}

async function assemble(context: ProcessContext): Promise<Runtime> {
  const { config, adapters, metrics, logger } = context;
  await adapters.sql.migrate(migrationsOf(API_MODULES, adapters.sql.dialect));
  // Inline, the worker role's modules share this process's: listed once, after the API's.
  const inline = config.roles.has('worker') && config.ANALYTICS_WORKER === 'inline';
  const built = await buildModules(context, inline ? uniqueModules([...API_MODULES, ...WORKER_MODULES]) : API_MODULES);
  const modules = built as ApiModules;
  // The edge's adapters, opened with the others so that the wait below covers their connections.
  void adapters.rateLimits;
  void adapters.registry;
  await adapters.ready();
  registerQueueGauges(metrics, adapters.queue, QUEUE_TOPICS);

  const load = new LoadSignal();
  context.onClose(load.publishFromThisThread());
  let workerAlive = () => true;
  if (inline) {
    const consumers = startWorkerConsumers(WORKER_MODULES.map((d) => (built as unknown as Record<string, Module>)[d.name]!), consumerContext(context, metrics.registry, load));
    context.onClose(() => consumers.stop());
  } else if (config.roles.has('worker')) {
    const handle = await startWorkerThread(config, logger, load, (event) => metrics.observeConnection(event, 'worker'));
    metrics.addSource(() => handle.metrics());
    workerAlive = () => handle.alive;
    context.onClose(() => handle.stop());
  }
  // Started after the consumers: at shutdown they flush into the queue (clicks, outbox) before the consumers stop.
  await startModules(context, Object.values(modules));

  let draining = false;
  const container = apiContainer(context, modules);
  const app = await buildApp({ ...container, modules: inRouteOrder(modules) }, {
    isDraining: () => draining,
    checks: {
      ...adapters.checks(),
      ...(config.roles.has('worker')
        ? {
            worker: async () => {
              if (!workerAlive()) throw new Error('worker thread is not running');
            },
          }
        : {}),
    },
  });
  context.onClose(() => app.close());
  context.onClose(() => {
    draining = true;
  });
  await app.ready();
  return { app, container, close: () => context.close() };
}
