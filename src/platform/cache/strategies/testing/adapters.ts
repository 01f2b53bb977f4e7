import { SERVICES, shouldRun } from '../../../../../test/helpers/services.js';
import type { CachePort } from '../../cache.port.js';
import { LruCacheAdapter } from '../../memory/lru-cache.adapter.js';
import { RedisCacheAdapter } from '../../redis/index.js';

/** A cache adapter the strategy suites run on. */
export interface CacheAdapterCase {
  name: string;
  /** False when the adapter's server does not answer locally (the suite is then skipped; CI fails instead). */
  available: boolean;
  /** A fresh, empty cache of its own; the test closes it. */
  create(): CachePort;
}

// Unique per run, so parallel runs on one Redis never meet. Every key the suites write has a TTL
// of a minute at most, so what a run leaves behind expires by itself.
const RUN = `strategies-test:${process.pid}:${Date.now().toString(36)}:`;
let caches = 0;

/** Every adapter, in the Kysely manner: each strategy suite loops over this list unchanged. */
export const CACHE_ADAPTERS: CacheAdapterCase[] = [
  { name: 'LruCacheAdapter', available: true, create: () => new LruCacheAdapter({ maxEntries: 10_000 }) },
  {
    name: 'RedisCacheAdapter',
    available: await shouldRun('redis'),
    create: () => new RedisCacheAdapter(SERVICES.redis, { prefix: `${RUN}${++caches}:` }),
  },
];

/** The longest TTL a suite may use (see RUN). */
export const MAX_TEST_TTL_MS = 60_000;
