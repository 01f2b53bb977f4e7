import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../platform/clock/index.js';

/** A stored response: what the upstream sent, when, and for how long it may be served without asking. */
export interface CachedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Buffer;
  /** The upstream's validator when it sent one, else ours (a hash of the body) for clients' conditional requests. */
  readonly etag: string;
  readonly upstreamEtag: boolean;
  storedAt: number;
  maxAgeMs: number;
}

export interface CacheLookup {
  entry: CachedResponse;
  fresh: boolean;
  ageSeconds: number;
}

/** Largest body kept: the cache is for small public documents (profiles, QR codes), not downloads. */
export const MAX_CACHED_BODY_BYTES = 1024 * 1024;
/** How long past its freshness a response may still be served while the pool is down (RFC 5861 stale-if-error). */
const STALE_IF_ERROR_MS = 24 * 3600 * 1000;

/** Headers of ours or per-connection: never stored. */
const UNSTORED = new Set(['x-request-id', 'date', 'age', 'connection', 'keep-alive', 'transfer-encoding']);

/**
 * The gateway's shared cache for public GETs (RFC 9111, the parts a reverse proxy needs): only what
 * the upstream marks cacheable for shared caches, only for requests without credentials, bounded
 * in entries and body size. A stale entry is revalidated with its ETag; while the pool is down it is
 * served stale rather than failing (graceful degradation).
 */
export class ResponseCache {
  readonly #entries: LRUCache<string, CachedResponse>;
  readonly #clock: Clock;

  constructor(options: { maxEntries: number; clock: Clock }) {
    this.#entries = new LRUCache({ max: options.maxEntries });
    this.#clock = options.clock;
  }

  /** The key of a request: its target, and its Origin, which CORS answers vary on. */
  static cacheKey(url: string, origin: string | string[] | undefined): string {
    return typeof origin === 'string' ? `${url}\n${origin}` : url;
  }

  /** Whether a request may be answered from (and stored in) the shared cache. */
  static requestCacheable(method: string, headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
    if (method !== 'GET') return false;
    if (headers.authorization !== undefined || headers.cookie !== undefined) return false;
    const cc = headers['cache-control'];
    return !(typeof cc === 'string' && /\bno-store\b/i.test(cc));
  }

  /** How long a response may be stored and served by a shared cache, or undefined when it may not. */
  static freshnessMs(status: number, headers: Readonly<Record<string, string | string[] | undefined>>): number | undefined {
    // Redirects are never stored: the API counts every click it redirects.
    if (status !== 200) return undefined;
    if (headers['set-cookie'] !== undefined) return undefined;
    // Entries are keyed by URL and Origin (see cacheKey); a body encoded for one client is not stored.
    if (headers['content-encoding'] !== undefined) return undefined;
    const vary = headers.vary;
    if (vary !== undefined && String(vary).toLowerCase().split(/\s*,\s*/).some((v) => v !== 'accept-encoding' && v !== 'origin')) return undefined;
    const cc = headers['cache-control'];
    if (typeof cc !== 'string') return undefined;
    const directives = cc.toLowerCase();
    if (/\b(private|no-store|no-cache)\b/.test(directives)) return undefined;
    const sMaxAge = /\bs-maxage=(\d+)/.exec(directives);
    const maxAge = sMaxAge ?? /\bmax-age=(\d+)/.exec(directives);
    if (maxAge === null || !/\bpublic\b/.test(directives) && sMaxAge === null) return undefined;
    const seconds = Number(maxAge[1]);
    return seconds > 0 ? seconds * 1000 : undefined;
  }

  lookup(key: string, options: { allowStale: boolean }): CacheLookup | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    const ageMs = this.#clock.now() - entry.storedAt;
    const fresh = ageMs < entry.maxAgeMs;
    if (!fresh && !(options.allowStale && ageMs < entry.maxAgeMs + STALE_IF_ERROR_MS)) return undefined;
    return { entry, fresh, ageSeconds: Math.max(0, Math.floor(ageMs / 1000)) };
  }

  /** Whether there is an entry, fresh or stale, to revalidate or to fall back on. */
  peek(key: string): CachedResponse | undefined {
    return this.#entries.get(key);
  }

  store(key: string, status: number, headers: Readonly<Record<string, string | string[] | undefined>>, body: Buffer, maxAgeMs: number): CachedResponse {
    const kept: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(headers)) if (value !== undefined && !UNSTORED.has(name)) kept[name] = value;
    const given = headers.etag;
    const etag = typeof given === 'string' ? given : `W/"${createHash('sha1').update(body).digest('base64url')}"`;
    const entry: CachedResponse = { status, headers: kept, body, etag, upstreamEtag: typeof given === 'string', storedAt: this.#clock.now(), maxAgeMs };
    this.#entries.set(key, entry);
    return entry;
  }

  /** A 304 from the upstream: the stored body is current again for the new freshness lifetime. */
  refresh(entry: CachedResponse, maxAgeMs: number | undefined): void {
    entry.storedAt = this.#clock.now();
    if (maxAgeMs !== undefined) entry.maxAgeMs = maxAgeMs;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** RFC 9110 §13.1.2: If-None-Match matches when any listed tag equals ours, weakly compared. */
export function ifNoneMatchMatches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text.trim() === '*') return true;
  const weak = (t: string) => t.trim().replace(/^W\//, '');
  return text.split(',').some((t) => weak(t) === weak(etag));
}
