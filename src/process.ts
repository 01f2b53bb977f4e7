import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/index.js';
import { assembleEdge } from './composition/edge.js';
import { API_SERVICE, startGateway } from './gateway/index.js';
import { buildMetricsListener, type MetricsOfRole } from './http/metrics-listener.js';

/** One HTTP listener of a process: the gateway, the API, a worker's health and metrics port, or the metrics listener (METRICS_PORT). */
export interface Listener {
  readonly role: 'gateway' | 'api' | 'worker' | 'metrics';
  readonly app: FastifyInstance;
  readonly address: string;
}

/** A process running the roles its configuration names (ROLES). */
export interface BlueprintProcess {
  readonly logger: Logger;
  /** The first is the public one (on HOST:PORT). */
  readonly listeners: readonly Listener[];
  /** Graceful stop, edge first: the gateway stops taking requests before the API behind it goes. */
  close(): Promise<void>;
}

/**
 * Starts the roles and listens. Alone, the api role (with the worker role in the same process, on a
 * thread) listens on PORT. With the gateway in front, the gateway takes PORT and the in-process API
 * moves to API_PORT (default PORT+1) on the loopback interface.
 */
export async function startProcess(config: Config): Promise<BlueprintProcess> {
  const { roles } = config;
  const listeners: Listener[] = [];
  const closers: (() => Promise<void>)[] = [];
  const metrics: MetricsOfRole[] = [];
  let logger: Logger | undefined;
  try {
    if (roles.has('api')) {
      // Loaded only by processes that run the role: a gateway never loads the product modules.
      const { startRuntime } = await import('./runtime.js');
      const runtime = await startRuntime(config);
      closers.unshift(() => runtime.close());
      logger = runtime.container.logger;
      const behindGateway = roles.has('gateway');
      const port = behindGateway ? (config.API_PORT ?? (config.PORT === 0 ? 0 : config.PORT + 1)) : config.PORT;
      const host = behindGateway ? '127.0.0.1' : config.HOST;
      const address = await runtime.app.listen({ host, port });
      listeners.push({ role: 'api', app: runtime.app, address });
      metrics.push({ role: 'api', metrics: runtime.container.metrics });
      // Announced for gateways to find (in Redis with REDIS_URL; else in this process, where nobody looks).
      const advertised = config.DISCOVERY_ADVERTISE ?? `${['0.0.0.0', '::'].includes(host) ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${new URL(address).port}`;
      const registration = await runtime.container.adapters.registry.register(API_SERVICE, advertised, { ttlMs: config.DISCOVERY_TTL_MS, onError: (err) => logger!.warn({ err }, 'registry renewal failed') });
      // Out of the registry first, so that gateways stop sending before the API drains.
      closers.unshift(() => registration.withdraw().catch((err: unknown) => logger!.warn({ err }, 'registry withdrawal failed')));
    } else if (roles.has('worker')) {
      const { startWorkerRuntime } = await import('./worker/worker.runtime.js');
      const runtime = await startWorkerRuntime(config);
      closers.unshift(() => runtime.close());
      logger = runtime.container.logger;
      const address = await runtime.app.listen({ host: config.HOST, port: roles.has('gateway') ? (config.API_PORT ?? 0) : config.PORT });
      listeners.push({ role: 'worker', app: runtime.app, address });
      metrics.push({ role: 'worker', metrics: runtime.container.metrics });
    }
    if (roles.has('gateway')) {
      const edge = assembleEdge(config, logger === undefined ? {} : { logger });
      logger ??= edge.logger;
      const api = listeners.find((l) => l.role === 'api');
      const local = api === undefined ? undefined : new URL(api.address);
      const gateway = await startGateway(config, edge, local && { address: local.host, host: local.hostname, port: Number(local.port), weight: 1, backup: false });
      closers.unshift(() => gateway.close());
      const address = await gateway.app.listen({ host: config.HOST, port: config.PORT });
      listeners.unshift({ role: 'gateway', app: gateway.app, address });
      metrics.unshift({ role: 'gateway', metrics: edge.metrics });
    }
    if (config.METRICS_PORT !== undefined) {
      const app = await buildMetricsListener(metrics);
      closers.push(() => app.close());
      listeners.push({ role: 'metrics', app, address: await app.listen({ host: config.METRICS_HOST, port: config.METRICS_PORT }) });
    }
  } catch (error) {
    for (const close of closers) await close().catch(() => {});
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    logger: logger!,
    listeners,
    close() {
      closing ??= (async () => {
        for (const close of closers) await close();
      })();
      return closing;
    },
  };
}
