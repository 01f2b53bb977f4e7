import { describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock/index.js';
import { ifNoneMatchMatches, ResponseCache } from './response-cache.js';

describe('ResponseCache', () => {
  it('stores only what a shared cache may (RFC 9111 §3, §5.2)', () => {
    const f = (status: number, headers: Record<string, string>) => ResponseCache.freshnessMs(status, headers);
    expect(f(200, { 'cache-control': 'public, max-age=300' })).toBe(300_000);
    expect(f(200, { 'cache-control': 'max-age=60, s-maxage=10' })).toBe(10_000);
    // Not marked public nor s-maxage: the response may be meant for one user.
    expect(f(200, { 'cache-control': 'max-age=300' })).toBeUndefined();
    expect(f(200, { 'cache-control': 'public, max-age=300, private' })).toBeUndefined();
    expect(f(200, { 'cache-control': 'no-store' })).toBeUndefined();
    expect(f(200, { 'cache-control': 'public, no-cache, max-age=5' })).toBeUndefined();
    expect(f(200, { 'cache-control': 'public, max-age=0' })).toBeUndefined();
    expect(f(200, {})).toBeUndefined();
    expect(f(200, { 'cache-control': 'public, max-age=300', 'set-cookie': 'a=b' })).toBeUndefined();
    expect(f(200, { 'cache-control': 'public, max-age=300', vary: 'Authorization' })).toBeUndefined();
    expect(f(200, { 'cache-control': 'public, max-age=300', vary: 'Accept-Encoding' })).toBe(300_000);
    // Redirects are counted by the API: a shared cache would hide the clicks.
    expect(f(301, { 'cache-control': 'public, max-age=3600' })).toBeUndefined();
    expect(f(404, { 'cache-control': 'public, max-age=3600' })).toBeUndefined();
  });

  it('answers only requests without credentials', () => {
    expect(ResponseCache.requestCacheable('GET', {})).toBe(true);
    expect(ResponseCache.requestCacheable('HEAD', {})).toBe(false);
    expect(ResponseCache.requestCacheable('POST', {})).toBe(false);
    expect(ResponseCache.requestCacheable('GET', { authorization: 'Bearer x' })).toBe(false);
    expect(ResponseCache.requestCacheable('GET', { cookie: 'refresh=x' })).toBe(false);
    expect(ResponseCache.requestCacheable('GET', { 'cache-control': 'no-store' })).toBe(false);
  });

  it('serves fresh entries, then stale ones only when asked to (stale-if-error)', () => {
    const clock = new ManualClock(1_000_000);
    const cache = new ResponseCache({ maxEntries: 10, clock });
    const entry = cache.store('/u/ann', 200, { 'content-type': 'application/json', 'x-request-id': 'r1', 'cache-control': 'public, max-age=60' }, Buffer.from('{"a":1}'), 60_000);
    // Per-response headers of the first answer are not replayed.
    expect(entry.headers['x-request-id']).toBeUndefined();
    expect(entry.etag).toMatch(/^W\/"[A-Za-z0-9_-]+"$/);
    expect(entry.upstreamEtag).toBe(false);
    clock.advance(30_000);
    expect(cache.lookup('/u/ann', { allowStale: false })).toMatchObject({ fresh: true, ageSeconds: 30 });
    clock.advance(31_000);
    expect(cache.lookup('/u/ann', { allowStale: false })).toBeUndefined();
    expect(cache.lookup('/u/ann', { allowStale: true })).toMatchObject({ fresh: false, ageSeconds: 61 });
    // A 304 from the upstream makes it fresh again, with the new lifetime.
    cache.refresh(entry, 120_000);
    clock.advance(100_000);
    expect(cache.lookup('/u/ann', { allowStale: false })?.fresh).toBe(true);
    clock.advance(25 * 3600 * 1000);
    expect(cache.lookup('/u/ann', { allowStale: true })).toBeUndefined();
  });

  it('keeps the upstream validator when there is one, and bounds its size', () => {
    const cache = new ResponseCache({ maxEntries: 2, clock: new ManualClock(0) });
    expect(cache.store('/a', 200, { etag: '"v1"' }, Buffer.from('a'), 1000)).toMatchObject({ etag: '"v1"', upstreamEtag: true });
    cache.store('/b', 200, {}, Buffer.from('b'), 1000);
    cache.store('/c', 200, {}, Buffer.from('c'), 1000);
    expect(cache.size).toBe(2);
    expect(cache.peek('/a')).toBeUndefined();
  });
});

describe('ifNoneMatchMatches', () => {
  it('compares weakly, in lists, and with *', () => {
    expect(ifNoneMatchMatches('"v1"', '"v1"')).toBe(true);
    expect(ifNoneMatchMatches('W/"v1"', '"v1"')).toBe(true);
    expect(ifNoneMatchMatches('"v0", W/"v1"', 'W/"v1"')).toBe(true);
    expect(ifNoneMatchMatches('*', '"v1"')).toBe(true);
    expect(ifNoneMatchMatches('"v2"', '"v1"')).toBe(false);
    expect(ifNoneMatchMatches(undefined, '"v1"')).toBe(false);
  });
});
