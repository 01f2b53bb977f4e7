import { CacheAside, type CachePort, type InvalidationBus } from '../../platform/cache/index.js';
import type { Metrics } from '../../observability/metrics.js';
import type { LinkTarget } from './links.model.js';

export interface LinkCacheOptions {
  ttlMs: number;
  /** How long "no such code" is remembered; 0 disables negative caching. */
  negativeTtlMs: number;
  /** Event invalidation: creates, updates and deletes made by other instances drop the code here. */
  bus?: InvalidationBus | undefined;
}

/**
 * `code -> target` as the cache-aside policy: look in the cache, on a miss load from the database
 * once per code however many requests are waiting (single flight), remember misses briefly
 * (negative caching) so probes for unknown codes do not all reach the database; every write
 * invalidates, here and, over the bus, in the other instances.
 */
export class LinkCache {
  readonly #aside: CacheAside<LinkTarget>;
  readonly #load: (code: string) => Promise<LinkTarget | null>;

  constructor(cache: CachePort, load: (code: string) => Promise<LinkTarget | null>, metrics: Metrics, options: LinkCacheOptions) {
    this.#load = load;
    const hit = metrics.cacheRequests.series(['links', 'hit']);
    const negativeHit = metrics.cacheRequests.series(['links', 'negative_hit']);
    const miss = metrics.cacheRequests.series(['links', 'miss']);
    this.#aside = new CacheAside<LinkTarget>({
      cache,
      prefix: 'link:',
      ttlMs: options.ttlMs,
      negativeTtlMs: options.negativeTtlMs,
      ...(options.bus === undefined ? {} : { bus: options.bus }),
      onLookup: (result) => void (result === 'hit' ? hit : result === 'miss' ? miss : negativeHit).value++,
    });
  }

  /** The target of a code, or null when there is no such code. */
  get(code: string): Promise<LinkTarget | null> {
    return this.#aside.get(code, this.#load);
  }

  /** The target when this process holds it (see CacheAside.peek): null for a remembered "no such code", undefined to ask `get`. */
  peek(code: string): LinkTarget | null | undefined {
    return this.#aside.peek(code);
  }

  /** Drops what is cached for a code (event-based invalidation on create, update, delete). */
  invalidate(code: string): Promise<void> {
    return this.#aside.invalidate(code);
  }
}
