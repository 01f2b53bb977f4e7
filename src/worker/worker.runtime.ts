import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from '../config/index.js';
import { assembleWorker } from '../composition/worker.js';
import type { ProcessContext } from '../composition/context.js';
import { registerErrorHandlers } from '../http/error-handler.js';
import { healthRoutes } from '../http/health.routes.js';
import { metricsAccessFor } from '../http/metrics-access.js';

/** The worker role in a process of its own: queue consumers, and an HTTP port for health and metrics only. */
export interface WorkerRuntime {
  readonly app: FastifyInstance;
  readonly container: ProcessContext;
  close(): Promise<void>;
}

export async function startWorkerRuntime(config: Config): Promise<WorkerRuntime> {
  const worker = await assembleWorker(config);
  const { context } = worker;
  let draining = false;
  const app = Fastify({ loggerInstance: context.logger as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) }) as unknown as FastifyInstance;
  registerErrorHandlers(app);
  await app.register(healthRoutes, {
    metrics: context.metrics,
    metricsAccess: metricsAccessFor(config, config.HOST),
    isDraining: () => draining,
    checks: context.adapters.checks(),
  });
  context.onClose(() => app.close());
  context.onClose(() => {
    draining = true;
  });
  await app.ready();
  return { app, container: context, close: () => worker.close() };
}
