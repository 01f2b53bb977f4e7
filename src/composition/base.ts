import { randomInt } from 'node:crypto';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { createLogger } from '../observability/logger.js';
import { Metrics, type ConnectionEvent } from '../observability/metrics.js';
import { createTracing } from '../observability/tracing.js';
import { systemClock, type Clock } from '../platform/clock/index.js';
import { MAX_WORKER_ID, SnowflakeIdGenerator } from '../platform/ids/index.js';
import type { ModuleContext } from '../shared/module.js';
import type { AdapterOptions } from './edge-adapters.js';
import { Lifecycle } from './lifecycle.js';

/** What a caller may set on a process's context (tests, the worker thread). */
export interface ContextOptions {
  logger?: Logger | undefined;
  clock?: Clock | undefined;
  /** Where connection state changes go (default: this process's metrics; a worker thread sends them to the main thread's). */
  onConnection?: ((event: ConnectionEvent) => void) | undefined;
  /** Where spans go instead of OTEL_EXPORTER_OTLP_ENDPOINT (tests). */
  spanExporter?: SpanExporter | undefined;
}

/** The shape of a role's process: a main thread logs a line per request (buffered) and exports the runtime's default metrics. */
export interface ProcessShape {
  serviceName: string;
  mainThread: boolean;
}

/** What every role's process has before any adapter: logs, metrics, time, ids, spans and the shutdown order. */
export interface ProcessBase extends Omit<ModuleContext, 'adapters'> {
  readonly lifecycle: Lifecycle;
  /** How adapters of this process are opened (adapters.ts, edge-adapters.ts). */
  readonly adapterOptions: AdapterOptions;
  close(): Promise<void>;
}

export function openBase(config: Config, shape: ProcessShape, options: ContextOptions = {}): ProcessBase {
  const lifecycle = new Lifecycle();
  const logger = options.logger ?? createLogger(config.LOG_LEVEL, { buffered: shape.mainThread });
  const metrics = new Metrics({ defaultMetrics: shape.mainThread });
  const clock = options.clock ?? systemClock;
  const ids = new SnowflakeIdGenerator(clock, config.WORKER_ID ?? randomInt(MAX_WORKER_ID + 1));
  // Opened first, closed last: spans of the shutdown are exported too.
  const tracing = createTracing({ serviceName: config.OTEL_SERVICE_NAME ?? shape.serviceName, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, exporter: options.spanExporter });
  lifecycle.onClose(() => tracing.close());
  return {
    config,
    logger,
    metrics,
    clock,
    ids,
    tracing,
    lifecycle,
    adapterOptions: { config, logger, metrics, clock, clockInjected: options.clock !== undefined, lifecycle, onConnection: options.onConnection },
    onClose: (close) => lifecycle.onClose(close),
    close: () => lifecycle.close(),
  };
}
