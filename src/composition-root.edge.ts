import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';
import type { Config } from './config/index.js';
import { createLogger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { createTracing, type Tracing } from './observability/tracing.js';
import { systemClock, type Clock } from './platform/clock/index.js';
import { MemoryServiceRegistry, type ServiceRegistry } from './platform/discovery/index.js';
import { RedisServiceRegistry } from './platform/discovery/redis/index.js';
import { MemoryRateLimitStore, type RateLimitStore } from './platform/ratelimit/index.js';
import { RedisRateLimitStore } from './platform/ratelimit/redis/index.js';
import { leasedRateLimits } from './platform/ratelimit/leased/index.js';
import { RedisClients } from './platform/redis/index.js';

/*
 * The composition root's part for the gateway role, apart from composition-root.ts so that a
 * gateway-only process does not load the product modules (links, feed, analytics...) it never runs.
 */

/** What the gateway role needs: no database, no queue; rate-limit counters shared through Redis when it is configured. */
export interface EdgeContainer {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly rateLimits: RateLimitStore;
  /** The API instances' announcements (GATEWAY_DISCOVERY=registry): Redis with REDIS_URL, else this process's. */
  readonly registry: ServiceRegistry;
  readonly tracing: Tracing;
  close(): Promise<void>;
}

export function createEdgeContainer(config: Config, options: { logger?: Logger; clock?: Clock; spanExporter?: SpanExporter } = {}): EdgeContainer {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL, { buffered: true });
  const metrics = new Metrics({ defaultMetrics: true });
  const clock = options.clock ?? systemClock;
  const redis =
    config.REDIS_URL === undefined
      ? undefined
      : new RedisClients({
          url: config.REDIS_URL,
          onState: (client, state) => {
            if (state === 'lost') logger.warn({ service: 'redis', client }, 'connection lost; reconnecting');
            metrics.observeConnection({ service: 'redis', client, state });
          },
        });
  const rateLimits: RateLimitStore =
    redis === undefined ? new MemoryRateLimitStore({ clock }) : leasedRateLimits(new RedisRateLimitStore(redis.open('ratelimit'), { prefix: `${config.REDIS_PREFIX}rl:`, ...(options.clock ? { clock } : {}) }), config, clock);
  const tracing = createTracing({ serviceName: config.OTEL_SERVICE_NAME ?? 'blueprint-gateway', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, exporter: options.spanExporter });
  const registry = redis === undefined ? new MemoryServiceRegistry({ clock }) : new RedisServiceRegistry(redis.open('registry'), { prefix: `${config.REDIS_PREFIX}registry:` });
  return {
    logger,
    metrics,
    clock,
    rateLimits,
    registry,
    tracing,
    async close() {
      await tracing.close();
      await registry.close();
      await rateLimits.close();
      await redis?.close();
    },
  };
}
