import type { CachePort } from '../../platform/cache/index.js';
import type { Metrics } from '../../observability/metrics.js';
import { SingleFlight } from '../../lib/single-flight.js';
import type { LinkTarget } from './links.model.js';

export interface LinkCacheOptions {
  ttlMs: number;
  /** How long "no such code" is remembered; 0 disables negative caching. */
  negativeTtlMs: number;
}

/**
 * Cache-aside for `code -> target`: look in the cache, on a miss load from the database once per
 * code however many requests are waiting (single flight), remember misses briefly (negative
 * caching) so probes for unknown codes do not all reach the database.
 */
export class LinkCache {
  readonly #cache: CachePort;
  readonly #load: (code: string) => Promise<LinkTarget | null>;
  readonly #flight = new SingleFlight<string, LinkTarget | null>();
  readonly #options: LinkCacheOptions;
  readonly #hit;
  readonly #negativeHit;
  readonly #miss;
  /** Bumped by every invalidation; a load that saw it move does not cache its possibly stale answer. */
  #epoch = 0;

  constructor(cache: CachePort, load: (code: string) => Promise<LinkTarget | null>, metrics: Metrics, options: LinkCacheOptions) {
    this.#cache = cache;
    this.#load = load;
    this.#options = options;
    this.#hit = metrics.cacheRequests.labels('links', 'hit');
    this.#negativeHit = metrics.cacheRequests.labels('links', 'negative_hit');
    this.#miss = metrics.cacheRequests.labels('links', 'miss');
  }

  /** The target of a code, or null when there is no such code. */
  async get(code: string): Promise<LinkTarget | null> {
    const cached = await this.#cache.get<LinkTarget | null>(`link:${code}`);
    if (cached !== undefined) {
      (cached === null ? this.#negativeHit : this.#hit).inc();
      return cached;
    }
    this.#miss.inc();
    return this.#flight.do(code, async () => {
      const epoch = this.#epoch;
      const target = await this.#load(code);
      if (epoch === this.#epoch) {
        if (target !== null) await this.#cache.set(`link:${code}`, target, this.#options.ttlMs);
        else if (this.#options.negativeTtlMs > 0) await this.#cache.set(`link:${code}`, null, this.#options.negativeTtlMs);
      }
      return target;
    });
  }

  /** Drops what is cached for a code (event-based invalidation on create, update, delete). */
  async invalidate(code: string): Promise<void> {
    this.#epoch++;
    await this.#cache.delete(`link:${code}`);
  }
}
