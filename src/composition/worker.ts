import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import type { Config } from '../config/index.js';
import { yieldToApi, type LoadSignal } from '../lib/load-signal.js';
import { usersModule } from '../modules/accounts/accounts.module.js';
import { clickStoreModule } from '../modules/analytics/analytics.module.js';
import { notificationsModule } from '../modules/notifications/notifications.module.js';
import { searchIndexModule } from '../modules/search/search.module.js';
import { tracedHandler } from '../observability/traced-handler.js';
import { outageGate, type HandlerWrapper, type Subscription } from '../platform/queue/index.js';
import type { ConsumerContext, Module } from '../shared/module.js';
import { openContext, type ContextOptions, type ProcessContext } from './context.js';
import { buildModules, startConsumers, startModules } from './modules.js';

/** The modules whose consumers the worker role runs, each after those it needs. */
export const WORKER_MODULES = [usersModule, clickStoreModule, searchIndexModule, notificationsModule] as const;

/**
 * What the worker role gives consumers. Each stores into the database: while it is down, a
 * delivery waits for it (bounded) instead of spending its attempts, so an outage pauses the work
 * rather than dead-lettering it. With a load signal, each message first yields to the API thread
 * while it is saturated (bounded by the lag budget).
 */
export function consumerContext(context: ProcessContext, registry: Registry, load?: LoadSignal): ConsumerContext {
  const { config, adapters, logger, tracing } = context;
  const waited = new Counter({ name: 'background_yield_seconds_total', help: 'Time background consumers spent waiting for the API thread to have room.', registers: [registry] });
  const policy = {
    busyAbove: config.BACKGROUND_YIELD_ABOVE,
    maxLagMs: config.BACKGROUND_MAX_LAG_MS,
    // Well inside the visibility timeout, so a waiting message is never redelivered meanwhile.
    maxWaitMs: Math.floor(config.QUEUE_VISIBILITY_TIMEOUT_MS / 3),
    pollMs: 50,
  };
  const yielding = load !== undefined && policy.busyAbove < 1;
  const traced = tracedHandler(tracing);
  const around: HandlerWrapper = (handler) => {
    const gated = traced(outageGate(handler, { ping: () => adapters.sql.ping(), maxWaitMs: policy.maxWaitMs, onWait: (err) => logger.warn({ err }, 'consumer waits for the database to come back') }));
    if (!yielding) return gated;
    return async (message) => {
      const ms = await yieldToApi(load, message.publishedAt, policy);
      if (ms > 0) waited.inc(ms / 1000);
      await gated(message);
    };
  };
  return { queue: adapters.queue, registry, around };
}

/** Starts the consumers of the worker role's modules (built on the caller's context). */
export function startWorkerConsumers(modules: readonly Module[], context: ConsumerContext): Subscription {
  return startConsumers(modules, context);
}

/** A worker role on its own context (a process of its own, or the API's worker thread): its modules and their consumers. */
export interface Worker {
  readonly context: ProcessContext;
  /** Stops the consumers, lets messages in hand finish, closes every connection. */
  close(): Promise<void>;
}

/** The worker role: builds its modules and starts their consumers; counters go to `registry` (default: the context's metrics). */
export async function assembleWorker(config: Config, options: ContextOptions & { registry?: Registry; load?: LoadSignal } = {}): Promise<Worker> {
  const context = openContext(config, { serviceName: `blueprint-${[...config.roles].join('-')}`, mainThread: false }, options);
  try {
    const modules = Object.values(await buildModules(context, WORKER_MODULES));
    await context.adapters.ready();
    await startModules(context, modules);
    const consumers = startWorkerConsumers(modules, consumerContext(context, options.registry ?? context.metrics.registry, options.load));
    context.onClose(() => consumers.stop());
    return { context, close: () => context.close() };
  } catch (error) {
    await context.close().catch(() => {});
    throw error;
  }
}
