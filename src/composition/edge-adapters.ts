import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { ConnectionEvent, Metrics } from '../observability/metrics.js';
import type { Clock } from '../platform/clock/index.js';
import { MemoryServiceRegistry, type ServiceRegistry } from '../platform/discovery/index.js';
import { RedisServiceRegistry } from '../platform/discovery/redis/index.js';
import { MemoryRateLimitStore, type RateLimitStore } from '../platform/ratelimit/index.js';
import { leasedRateLimits } from '../platform/ratelimit/leased/index.js';
import { RedisRateLimitStore } from '../platform/ratelimit/redis/index.js';
import { RedisClients } from '../platform/redis/index.js';
import type { Lifecycle } from './lifecycle.js';

/*
 * The adapters of the HTTP edge (rate limits, service discovery), which every serving role opens,
 * apart from the others (adapters.ts) so that a gateway-only process loads no database or queue
 * client. Both files are the one place that reads the configuration to pick adapters.
 */

export interface AdapterOptions {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  /** Set when the clock is not the system's (tests): Redis rate limits then read it instead of the server's time. */
  clockInjected: boolean;
  lifecycle: Lifecycle;
  /** Where connection state changes go (default: `metrics`; a worker thread sends them to the main thread's). */
  onConnection?: ((event: ConnectionEvent) => void) | undefined;
}

/** How adapters are opened: once, on first use, with their close, readiness check and first-connection wait registered. */
export interface AdapterScope {
  once<T>(open: () => T, close?: (value: T) => Promise<void> | void, check?: [string, (value: T) => Promise<void>]): () => T;
  readonly checks: Record<string, () => Promise<void>>;
  readonly waits: (() => Promise<void>)[];
  connectionState(service: ConnectionEvent['service'], client: string, state: ConnectionEvent['state']): void;
}

export function adapterScope(options: AdapterOptions): AdapterScope {
  const { logger, metrics, lifecycle } = options;
  const onConnection = options.onConnection ?? ((event: ConnectionEvent) => metrics.observeConnection(event));
  const checks: Record<string, () => Promise<void>> = {};
  return {
    checks,
    waits: [],
    once(open, close, check) {
      let value: { v: ReturnType<typeof open> } | undefined;
      return () => {
        if (value === undefined) {
          const v = open();
          value = { v };
          if (close !== undefined) lifecycle.onClose(() => close(v));
          if (check !== undefined) checks[check[0]] = () => check[1](v);
        }
        return value.v;
      };
    },
    connectionState(service, client, state) {
      if (state === 'lost') logger.warn({ service, client }, 'connection lost; reconnecting');
      else logger.debug({ service, client }, 'connection up');
      onConnection({ service, client, state });
    },
  };
}

export interface EdgeAdapters {
  /** Rate-limit counters: in process, or in Redis when REDIS_URL is set. */
  readonly rateLimits: RateLimitStore;
  /** Where API instances announce themselves for gateways: Redis with REDIS_URL, else this process's. */
  readonly registry: ServiceRegistry;
  /** A ping per adapter opened so far, by name (the readiness checks). */
  checks(): Record<string, () => Promise<void>>;
  /** Waits for the first connections (Redis, the first replica probe); Redis down leaves the process degraded, not stopped. */
  ready(): Promise<void>;
}

/** The edge's adapters, and the process's Redis clients (one per use, all from REDIS_URL, named in CLIENT LIST and counted in /metrics). */
export function openEdgeAdapters(scope: AdapterScope, options: AdapterOptions): EdgeAdapters & { redis: () => RedisClients } {
  const { config, logger, clock } = options;
  const { once, waits } = scope;
  const redisUrl = config.REDIS_URL;
  const redis = once(
    () => {
      const clients = new RedisClients({ url: redisUrl!, onState: (client, state) => scope.connectionState('redis', client, state) });
      // Commands fail at once while a client is disconnected: give the first connections a moment.
      waits.unshift(() => clients.ready(5_000).catch((err: unknown) => logger.warn({ err }, 'Redis not reachable yet; running degraded until it answers')));
      return clients;
    },
    (clients) => clients.close(),
  );
  const rateLimits = once(
    (): RateLimitStore =>
      redisUrl === undefined
        ? new MemoryRateLimitStore({ clock })
        : leasedRateLimits(new RedisRateLimitStore(redis().open('ratelimit'), { prefix: `${config.REDIS_PREFIX}rl:`, ...(options.clockInjected ? { clock } : {}) }), config, clock),
    (r) => r.close(),
    ['ratelimit', (r) => r.ping()],
  );
  const registry = once(
    (): ServiceRegistry =>
      redisUrl === undefined ? new MemoryServiceRegistry({ clock }) : new RedisServiceRegistry(redis().open('registry'), { prefix: `${config.REDIS_PREFIX}registry:` }),
    (r) => r.close(),
  );
  return {
    redis,
    get rateLimits() {
      return rateLimits();
    },
    get registry() {
      return registry();
    },
    checks: () => ({ ...scope.checks }),
    async ready() {
      for (const wait of scope.waits.splice(0)) await wait();
    },
  };
}
