import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.js';

/** The problems loadConfig lists for an environment (none when it loads). */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
}

describe('loadConfig', () => {
  it('fills defaults from an empty environment', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(8080);
    expect(c.PUBLIC_URL).toBe('http://localhost:8080');
    expect(c.KEY_STRATEGY).toBe('counter');
    expect(c.trustedProxies).toEqual([]);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('converts strings to numbers and booleans and trims the public URL', () => {
    const c = loadConfig({ PORT: '9000', KEY_SCRAMBLE: 'true', PUBLIC_URL: 'https://s.example/', TRUST_PROXY: '10.0.0.1, 10.0.0.0/8' });
    expect(c.PORT).toBe(9000);
    expect(c.KEY_SCRAMBLE).toBe(true);
    expect(c.PUBLIC_URL).toBe('https://s.example');
    expect(c.trustedProxies).toEqual(['10.0.0.1', '10.0.0.0/8']);
  });

  it('lists every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', KEY_STRATEGY: 'magic', CACHE_TTL_SECONDS: '-1', PUBLIC_URL: 'ftp://x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = (error as ConfigError).problems.map((p) => p.split(':')[0]);
    expect(new Set(names)).toEqual(new Set(['PORT', 'KEY_STRATEGY', 'CACHE_TTL_SECONDS', 'PUBLIC_URL']));
    expect((error as ConfigError).message).toContain('"eighty"');
  });

  it('refuses a pool watermark at or above the pool size', () => {
    expect(() => loadConfig({ KEY_POOL_SIZE: '100', KEY_POOL_LOW_WATERMARK: '100' })).toThrow(/KEY_POOL_LOW_WATERMARK/);
  });

  it('parses rate-limit policies, with built-in defaults, `off` and extra routes', () => {
    const c = loadConfig({ RATE_LIMIT_AUTH: 'off', RATE_LIMIT_ROUTES: '{"stats":{"routes":["GET /api/v1/links/:code/stats"],"limit":"sliding-counter 60/1m"}}' });
    expect(c.rateLimits.map((p) => p.name)).toEqual(['global', 'create', 'probe', 'stats']);
    expect(c.rateLimits[0]).toMatchObject({ routes: 'all', spec: { rule: { algorithm: 'leaky-bucket', limit: 100, burst: 200, delay: 200 }, by: 'ip' } });
    expect(c.rateLimits[2]).toMatchObject({ counts: 'not-found', routes: ['GET /:code'] });
    expect(c.rateLimits[3]).toMatchObject({ routes: ['GET /api/v1/links/:code/stats'], spec: { rule: { algorithm: 'sliding-counter', limit: 60, windowMs: 60_000 } } });
  });

  it('lists bad rate-limit policies with the other problems', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ PORT: 'x', RATE_LIMIT_GLOBAL: 'bucket 1/s', RATE_LIMIT_ROUTES: '{"Bad Name":{"routes":["/x"],"limit":"gcra 1/s"},"ok":{"routes":["GET /x"],"limit":"gcra 1/s nodelay"}}' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems).toEqual([
      expect.stringMatching(/^PORT:/),
      expect.stringMatching(/^RATE_LIMIT_GLOBAL: unknown algorithm "bucket"/),
      expect.stringMatching(/^RATE_LIMIT_ROUTES: policy name "Bad Name"/),
      expect.stringMatching(/^RATE_LIMIT_ROUTES\.ok\.limit: delay and nodelay apply to leaky-bucket only/),
    ]);
  });

  it('parses ROLES and the gateway pool, nginx-style', () => {
    const config = loadConfig({ ROLES: 'gateway, api', GATEWAY_UPSTREAMS: '127.0.0.1:8081 weight=3, [::1]:8082, api-3.internal:80 backup' });
    expect([...config.roles]).toEqual(['gateway', 'api']);
    expect(config.gatewayUpstreams).toEqual([
      { address: '127.0.0.1:8081', host: '127.0.0.1', port: 8081, weight: 3, backup: false },
      { address: '[::1]:8082', host: '::1', port: 8082, weight: 1, backup: false },
      { address: 'api-3.internal:80', host: 'api-3.internal', port: 80, weight: 1, backup: true },
    ]);
    expect([...loadConfig({}).roles]).toEqual(['api', 'worker']);
  });

  it('says what is wrong with a role or an upstream', () => {
    expect(problems({ ROLES: 'api,cache' })[0]).toMatch(/^ROLES: /);
    expect(problems({ GATEWAY_UPSTREAMS: 'localhost' })).toEqual(['GATEWAY_UPSTREAMS: "localhost" is not host:port in "localhost"']);
    expect(problems({ GATEWAY_UPSTREAMS: 'a:1 weight=0' })[0]).toMatch(/unknown option "weight=0"/);
    expect(problems({ GATEWAY_UPSTREAMS: 'a:1, a:1' })).toEqual(['GATEWAY_UPSTREAMS: a:1 is listed twice']);
    expect(problems({ GATEWAY_UPSTREAMS: 'a:1 backup' })).toEqual(['GATEWAY_UPSTREAMS: every upstream is a backup; mark at least one as primary']);
    expect(problems({ GATEWAY_UPSTREAMS: 'a:70000' })[0]).toMatch(/is not host:port/);
  });

  it('checks read replicas against their primary and the read-your-writes window', () => {
    const primary = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' };
    expect(loadConfig({ ...primary, DATABASE_REPLICA_URLS: 'postgres://postgres@127.0.0.1:5433/test, postgres://r2:5432/test' }).replicaUrls).toEqual(['postgres://postgres@127.0.0.1:5433/test', 'postgres://r2:5432/test']);
    expect(problems({ DATABASE_REPLICA_URLS: 'postgres://r1/test' })).toEqual(['DATABASE_REPLICA_URLS: replicas need DATABASE_URL (their primary)']);
    expect(problems({ ...primary, DATABASE_REPLICA_URLS: 'mysql://r1/test' })).toEqual(['DATABASE_REPLICA_URLS: "mysql://r1/test" is not a postgres:// URL']);
    expect(problems({ ...primary, DATABASE_REPLICA_URLS: 'postgres://r1/test', DATABASE_REPLICA_MAX_LAG_MS: '5000' })[0]).toMatch(/^DATABASE_REPLICA_MAX_LAG_MS: must be below DATABASE_READ_YOUR_WRITES_MS/);
  });

  it('parses the feed shards: names, postgres URLs and schemas', () => {
    const primary = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' };
    expect(loadConfig({ ...primary, FEED_SHARDS: 's0=postgres://127.0.0.1/test?schema=feed_s0, s1=postgresql://h2:5432/feed' }).feedShards).toEqual([
      { name: 's0', url: 'postgres://127.0.0.1/test', schema: 'feed_s0' },
      { name: 's1', url: 'postgresql://h2:5432/feed', schema: undefined },
    ]);
    expect(loadConfig(primary).feedShards).toEqual([]);
    expect(problems({ FEED_SHARDS: 's0=postgres://h/test' })).toEqual(['FEED_SHARDS: shards need DATABASE_URL (the main database holds the ring, follows and counters)']);
    expect(problems({ ...primary, FEED_SHARDS: 'postgres://h/test' })[0]).toMatch(/^FEED_SHARDS: "postgres:\/\/h\/test" is not name=postgres/);
    expect(problems({ ...primary, FEED_SHARDS: 's0=mysql://h/test' })).toEqual(['FEED_SHARDS: shard s0: "mysql://h/test" is not a postgres:// URL']);
    expect(problems({ ...primary, FEED_SHARDS: 's0=postgres://h/a, s0=postgres://h/b' })).toEqual(['FEED_SHARDS: shard s0 is named twice']);
    expect(problems({ ...primary, FEED_SHARDS: 's0=postgres://h/a?schema=Bad-Name' })).toEqual(['FEED_SHARDS: shard s0: schema "Bad-Name" is not a lower-case identifier']);
  });
});
