import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from '../config/index.js';
import { createContainer, type Container } from '../composition-root.js';
import { registerErrorHandlers } from '../http/error-handler.js';
import { healthRoutes } from '../http/health.routes.js';
import { metricsAccessFor } from '../http/metrics-access.js';
import { startConsumers } from './consumers.js';

/** The worker role in a process of its own: queue consumers, and an HTTP port for health and metrics only. */
export interface WorkerRuntime {
  readonly app: FastifyInstance;
  readonly container: Container;
  close(): Promise<void>;
}

export async function startWorkerRuntime(config: Config): Promise<WorkerRuntime> {
  const container = await createContainer(config, { role: 'worker' });
  const consumers = startConsumers(container, container.metrics.registry);
  let draining = false;
  const app = Fastify({ loggerInstance: container.logger as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) }) as unknown as FastifyInstance;
  registerErrorHandlers(app);
  await app.register(healthRoutes, {
    metrics: container.metrics,
    metricsAccess: metricsAccessFor(config, config.HOST),
    isDraining: () => draining,
    checks: { database: () => container.sql.ping(), queue: () => container.queue.ping() },
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
        await consumers.stop();
        await container.close();
      })();
      return closing;
    },
  };
}
