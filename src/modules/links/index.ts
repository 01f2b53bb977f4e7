import { InvalidationBus, type CachePort } from '../../platform/cache/index.js';
import type { PubSubPort } from '../../platform/pubsub/index.js';
import type { Clock } from '../../platform/clock/index.js';
import { tablesOf, type SqlDatabase } from '../../platform/sql/index.js';
import type { Metrics } from '../../observability/metrics.js';
import { makeReservedCheck } from './alias-policy.js';
import { createKeyGenerator, type KeyGenerator } from './keygen/index.js';
import { LinkCache } from './link-cache.js';
import { LinksRepository } from './links.repository.js';
import { LinksService } from './links.service.js';
import type { LinksTables } from './links.tables.js';
import { selfHostsOf, selfPortsOf } from './url-policy.js';

export { linksMigrations } from './links.migrations.js';
export { linksRoutes } from './links.routes.js';
export { QrRenderer } from './qr-renderer.js';
export { redirectRoutes } from './redirect.routes.js';
export { redirectFastPath } from './redirect.fast-path.js';
export { LinkNotFoundError } from './links.errors.js';
export type { ClickEvent, ClickSink, Link } from './links.model.js';
export type { LinksService } from './links.service.js';
export type { KeyGenerator } from './keygen/index.js';

/** The pub/sub channel on which link caches tell each other which codes changed. */
const LINK_INVALIDATION_CHANNEL = 'cache.invalidate.links';

export interface LinksDeps {
  sql: SqlDatabase<unknown>;
  cache: CachePort;
  /** Carries cache invalidations between instances; without it each instance only drops its own writes. */
  pubsub?: PubSubPort | undefined;
  clock: Clock;
  metrics: Metrics;
  publicUrl: string;
  /** Ports this process listens on (PORT, API_PORT): a loopback link to them is a link to itself. */
  listenPorts?: readonly number[];
  maxUrlLength: number;
  reservedWords: readonly string[];
  cacheTtlMs: number;
  negativeCacheTtlMs: number;
  keys: {
    strategy: 'counter' | 'hash' | 'pool';
    scramble: boolean;
    secret: string;
    blockSize: number;
    poolSize: number;
    poolLowWatermark: number;
  };
}

/** The links module: the service and the key generator it owns. */
export function createLinks(deps: LinksDeps): { service: LinksService; keys: KeyGenerator } {
  const repository = new LinksRepository(tablesOf<LinksTables>(deps.sql));
  const keys = createKeyGenerator(deps.sql, {
    strategy: deps.keys.strategy,
    ...(deps.keys.scramble ? { scrambleSecret: deps.keys.secret } : {}),
    hashSalt: deps.keys.secret,
    blockSize: deps.keys.blockSize,
    poolTargetSize: deps.keys.poolSize,
    poolLowWatermark: deps.keys.poolLowWatermark,
  });
  const cache = new LinkCache(
    deps.cache,
    async (code) => {
      const link = await repository.findByCode(code);
      return link === null ? null : { url: link.url, redirect: link.redirect, expiresAt: link.expiresAt };
    },
    deps.metrics,
    {
      ttlMs: deps.cacheTtlMs,
      negativeTtlMs: deps.negativeCacheTtlMs,
      bus: deps.pubsub === undefined ? undefined : new InvalidationBus(deps.pubsub, LINK_INVALIDATION_CHANNEL),
    },
  );
  const service = new LinksService({
    repository,
    cache,
    keys,
    clock: deps.clock,
    urlPolicy: { maxLength: deps.maxUrlLength, selfHosts: selfHostsOf(deps.publicUrl), selfPorts: selfPortsOf(deps.publicUrl, deps.listenPorts ?? []) },
    isReserved: makeReservedCheck(deps.reservedWords),
  });
  return { service, keys };
}
