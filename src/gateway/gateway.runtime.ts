import type { FastifyInstance } from 'fastify';
import type { Config, UpstreamConfig } from '../config/index.js';
import type { EdgeContainer } from '../composition/edge.js';
import type { BalancerPolicyName } from '../platform/balancer/index.js';
import { buildGatewayApp } from './gateway.app.js';
import { UpstreamPool } from './upstream-pool.js';

/** The name API instances announce themselves under. */
export const API_SERVICE = 'api';
/** How often the gateway reads the registry. */
const DISCOVERY_POLL_MS = 1_000;

/** A running gateway: its HTTP app and the pool it proxies to. */
export interface Gateway {
  readonly app: FastifyInstance;
  readonly pool: UpstreamPool;
  close(): Promise<void>;
}

/**
 * Starts the gateway role on an edge container. Its pool is GATEWAY_UPSTREAMS, or `fallback` (the
 * api role of this same process) when the list is empty.
 */
export async function startGateway(config: Config, edge: EdgeContainer, fallback?: UpstreamConfig): Promise<Gateway> {
  const fixed = config.gatewayUpstreams.length > 0 ? config.gatewayUpstreams : fallback === undefined ? [] : [fallback];
  const discovering = config.GATEWAY_DISCOVERY === 'registry';
  if (fixed.length === 0 && !discovering) throw new Error('the gateway role needs GATEWAY_UPSTREAMS (host:port, ...), GATEWAY_DISCOVERY=registry, or the api role in the same process');
  const announced = async () => (discovering ? toUpstreams(await edge.registry.instances(API_SERVICE).catch(() => [])) : []);
  const first = await announced();
  const upstreams = first.length > 0 ? first : fixed;
  const pool = new UpstreamPool({
    upstreams,
    policy: config.GATEWAY_POLICY as BalancerPolicyName,
    connections: config.GATEWAY_CONNECTIONS,
    maxConcurrent: config.GATEWAY_MAX_CONCURRENT,
    timeoutMs: config.GATEWAY_TIMEOUT_MS,
    retries: config.GATEWAY_RETRIES,
    retryBudget: config.GATEWAY_RETRY_BUDGET,
    health: {
      path: '/readyz',
      intervalMs: config.GATEWAY_HEALTH_INTERVAL_MS,
      timeoutMs: config.GATEWAY_HEALTH_TIMEOUT_MS,
      healthyThreshold: config.GATEWAY_HEALTHY_THRESHOLD,
      unhealthyThreshold: config.GATEWAY_UNHEALTHY_THRESHOLD,
    },
    passive: { consecutiveErrors: config.GATEWAY_EJECT_AFTER_ERRORS, baseEjectionMs: config.GATEWAY_EJECT_MS, maxEjectionPercent: config.GATEWAY_MAX_EJECT_PERCENT },
    slowStartMs: config.GATEWAY_SLOW_START_MS,
    breaker: { failureThreshold: config.GATEWAY_BREAKER_FAILURES, openMs: config.GATEWAY_BREAKER_OPEN_MS },
    clock: edge.clock,
    logger: edge.logger,
    registry: edge.metrics.registry,
    tracing: edge.tracing,
  });
  let draining = false;
  const app = await buildGatewayApp({ config, logger: edge.logger, metrics: edge.metrics, clock: edge.clock, pool, rateLimits: edge.rateLimits, tracing: edge.tracing, isDraining: () => draining });
  await app.ready();
  pool.start();
  // The registry when it names instances, the fixed list while it is empty or unreachable.
  let following: Promise<void> | undefined;
  const follow = discovering
    ? setInterval(() => {
        following ??= announced()
          .then((found) => {
            const next = found.length > 0 ? found : fixed;
            const current = pool.upstreams;
            if (next.length !== current.length || next.some((u) => !current.includes(u.address))) {
              edge.logger.info({ upstreams: next.map((u) => u.address) }, 'gateway pool changed');
              pool.setUpstreams(next);
            }
          })
          .finally(() => (following = undefined));
      }, DISCOVERY_POLL_MS).unref()
    : undefined;
  let closing: Promise<void> | undefined;
  return {
    app,
    pool,
    close() {
      closing ??= (async () => {
        draining = true;
        clearInterval(follow);
        await following;
        await app.close();
        await pool.close();
        await edge.close();
      })();
      return closing;
    },
  };
}

/** Registry entries (host:port) as pool members. */
function toUpstreams(addresses: readonly string[]): UpstreamConfig[] {
  const members: UpstreamConfig[] = [];
  for (const address of addresses) {
    const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
    if (m !== null) members.push({ address, host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]), weight: 1, backup: false });
  }
  return members;
}
