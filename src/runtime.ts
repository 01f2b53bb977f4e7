import type { FastifyInstance } from 'fastify';
import type { Config } from './config/index.js';
import { buildApp } from './app.js';
import { createContainer, type Container, type ContainerOptions } from './composition-root.js';
import { LoadSignal } from './lib/load-signal.js';
import { startConsumers, startFanout } from './worker/consumers.js';
import { startWorkerThread } from './worker/worker-host.js';

/** A running instance: the container, its HTTP app and its consumers. */
export interface Runtime {
  readonly app: FastifyInstance;
  readonly container: Container;
  /** Graceful stop: refuse new requests, finish the ones in hand, flush buffers, stop consumers, close. */
  close(): Promise<void>;
}

/**
 * Starts the api role: the HTTP API on the main thread, with the worker role (when ROLES has it)
 * either on a worker thread (default) or inline.
 */
export async function startRuntime(config: Config, options: Omit<ContainerOptions, 'role'> = {}): Promise<Runtime> {
  const container = await createContainer(config, { ...options, role: 'api' });
  const { logger, metrics } = container;
  let draining = false;
  const load = new LoadSignal();
  const stopLoad = load.publishFromThisThread();
  // Inline fan-out delivers from the follower graph in memory: loaded before the first request.
  const loading = Date.now();
  await container.feed.start({ onLoading: (follows) => logger.debug({ follows }, 'loading the follower graph') });
  if (container.feed.fanoutMode === 'inline') logger.info({ ms: Date.now() - loading }, 'follower graph loaded');
  const fanout = await startFanout(container, metrics.registry);
  let workerAlive = () => true;
  let stopWorkers = async () => {};
  if (!config.roles.has('worker')) {
    // Another process consumes the queues (the scaled topology's worker role).
  } else if (config.ANALYTICS_WORKER === 'thread') {
    const handle = await startWorkerThread(config, logger, load, (event) => metrics.observeConnection(event, 'worker'));
    metrics.addSource(() => handle.metrics());
    workerAlive = () => handle.alive;
    stopWorkers = () => handle.stop();
  } else {
    const consumers = startConsumers(container, metrics.registry, load);
    stopWorkers = () => consumers.stop();
  }
  const app = await buildApp(container, {
    isDraining: () => draining,
    checks: {
      database: () => container.sql.ping(),
      queue: () => container.queue.ping(),
      cache: () => container.cache.ping(),
      timelines: () => container.timelines.ping(),
      pubsub: () => container.pubsub.ping(),
      ...(container.rateLimits === undefined ? {} : { ratelimit: () => container.rateLimits!.ping() }),
      ...(config.roles.has('worker')
        ? {
            worker: async () => {
              if (!workerAlive()) throw new Error('worker thread is not running');
            },
          }
        : {}),
    },
  });
  await app.ready();

  let closing: Promise<void> | undefined;
  return {
    app,
    container,
    close() {
      closing ??= (async () => {
        draining = true;
        await app.close();
        // Buffered clicks go to the durable queue before consumers stop: nothing is left in memory.
        await container.clicks?.close();
        // Committed feed events reach the queue; the consumers pick them up after a restart.
        await container.outbox?.stop();
        await Promise.all([stopWorkers(), fanout.stop()]);
        stopLoad();
        await container.close();
      })();
      return closing;
    },
  };
}
