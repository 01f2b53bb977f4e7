import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { nginxConfig, nginxOptionsFrom } from './nginx-config.js';

describe('nginxConfig', () => {
  it('writes the pool with its method, weights, backups, passive checks and keep-alive', () => {
    const config = loadConfig({ PORT: '9000', GATEWAY_UPSTREAMS: '127.0.0.1:9001 weight=2, 127.0.0.1:9002, 127.0.0.1:9003 backup', GATEWAY_EJECT_AFTER_ERRORS: '3', GATEWAY_EJECT_MS: '15000' });
    const text = nginxConfig(nginxOptionsFrom(config));
    expect(text).toContain('listen 9000;');
    expect(text).toMatch(/upstream blueprint_api \{\n\s+least_conn;\n\s+server 127\.0\.0\.1:9001 weight=2 max_fails=3 fail_timeout=15s;\n\s+server 127\.0\.0\.1:9002 max_fails=3 fail_timeout=15s;\n\s+server 127\.0\.0\.1:9003 max_fails=3 fail_timeout=15s backup;\n\s+keepalive 64;/);
    // Keep-alive to the upstreams needs HTTP/1.1 and an empty Connection header.
    expect(text).toContain('proxy_http_version 1.1;');
    expect(text).toContain('proxy_set_header Connection "";');
    expect(text).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
    expect(text).toContain('proxy_buffering off;');
    expect(text).toMatch(/location = \/metrics \{\n\s+default_type application\/problem\+json;\n\s+return 403 '\{[^']*"code":"metrics_forbidden"/);
  });

  it('turns the global leaky bucket into limit_req with the same rate, burst and nodelay', () => {
    const text = nginxConfig(nginxOptionsFrom(loadConfig({ RATE_LIMIT_GLOBAL: 'leaky-bucket 100/1s burst=200 nodelay' })));
    expect(text).toContain('limit_req_zone $binary_remote_addr zone=per_client:10m rate=100r/s;');
    expect(text).toContain('limit_req zone=per_client burst=200 nodelay;');
    expect(nginxConfig(nginxOptionsFrom(loadConfig({ RATE_LIMIT_GLOBAL: 'leaky-bucket 30/1m burst=10 delay=4' })))).toContain('rate=30r/m;');
    expect(nginxConfig(nginxOptionsFrom(loadConfig({ RATE_LIMIT_GLOBAL: 'leaky-bucket 30/1m burst=10 delay=4' })))).toContain('limit_req zone=per_client burst=10 delay=4;');
    // Other algorithms have no nginx equivalent: no limit_req rather than a different one.
    expect(nginxConfig(nginxOptionsFrom(loadConfig({ RATE_LIMIT_GLOBAL: 'gcra 10/1s' })))).not.toContain('limit_req');
  });

  it('maps each policy to its nginx method, and serves static files with immutable caching', () => {
    const method = (policy: string) => /upstream blueprint_api \{\n\s+(\S[^\n]*)\n/.exec(nginxConfig(nginxOptionsFrom(loadConfig({ GATEWAY_POLICY: policy }))))![1];
    expect(method('ip-hash')).toBe('ip_hash;');
    expect(method('consistent-hash')).toBe('hash $uri consistent;');
    expect(method('round-robin')).toMatch(/^server /);
    const text = nginxConfig(nginxOptionsFrom(loadConfig({}), { staticDir: '/srv/blueprint/assets' }));
    expect(text).toContain('alias /srv/blueprint/assets/;');
    expect(text).toContain('add_header Cache-Control "public, max-age=31536000, immutable";');
    expect(text).toContain('gzip_static on;');
    expect(() => nginxConfig(nginxOptionsFrom(loadConfig({ GATEWAY_POLICY: 'ip-hash', GATEWAY_UPSTREAMS: 'a:1, b:2 backup' })))).toThrow(/backup/);
  });
});
