import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { Metrics } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import type { Clock } from '../platform/clock/index.js';
import type { ServiceRegistry } from '../platform/discovery/index.js';
import type { RateLimitStore } from '../platform/ratelimit/index.js';
import { openBase, type ContextOptions } from './base.js';
import { adapterScope, openEdgeAdapters } from './edge-adapters.js';

/*
 * The gateway role: no module, no database, no queue. Apart from the API's assembly so that a
 * gateway-only process loads no product module; its adapters come from the same place (edge-adapters.ts, beside adapters.ts).
 */

/** What the gateway role needs: rate-limit counters (shared through Redis when configured) and the API instances' announcements. */
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

export function assembleEdge(config: Config, options: ContextOptions = {}): EdgeContainer {
  const base = openBase(config, { serviceName: 'blueprint-gateway', mainThread: true }, options);
  const { logger, metrics, clock, tracing, adapterOptions } = base;
  const adapters = openEdgeAdapters(adapterScope(adapterOptions), adapterOptions);
  return { logger, metrics, clock, tracing, rateLimits: adapters.rateLimits, registry: adapters.registry, close: () => base.close() };
}
