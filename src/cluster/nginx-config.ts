import type { Config, UpstreamConfig } from '../config/index.js';

export interface NginxConfigOptions {
  upstreams: readonly UpstreamConfig[];
  /** Port nginx listens on. */
  listenPort: number;
  policy: Config['GATEWAY_POLICY'];
  /** Passive health check: failures within fail_timeout that take a server out, for that long. */
  maxFails: number;
  failTimeoutSeconds: number;
  keepaliveConnections: number;
  timeoutSeconds: number;
  /** The global policy when it is a leaky bucket: nginx's own limit_req algorithm. */
  limit: { ratePerSecond: number; burst: number; delay: number | 'nodelay' } | undefined;
  /** A folder served as /assets/ with long-lived caching (hashed file names): the web app's dist/public/assets. */
  staticDir: string | undefined;
  /** Run as this user (only meaningful when nginx starts as root). */
  user: string | undefined;
  /** Worker processes (default: one per core). */
  workerProcesses?: number;
}

/** nginx names of our policies; nginx OSS has no latency-aware method, least_conn is the nearest. */
const METHODS: Record<string, string> = {
  'round-robin': '',
  'weighted-round-robin': '',
  'least-connections': 'least_conn;',
  'ip-hash': 'ip_hash;',
  'consistent-hash': 'hash $uri consistent;',
  'peak-ewma': 'least_conn;  # nginx OSS has no latency-aware method (least_time is NGINX Plus)',
};

/** The nginx side of the gateway's settings, from the configuration (GATEWAY_*, RATE_LIMIT_GLOBAL). */
export function nginxOptionsFrom(config: Config, overrides: Partial<NginxConfigOptions> = {}): NginxConfigOptions {
  const global = config.rateLimits.find((p) => p.name === 'global');
  const rule = global?.spec.rule;
  const limit =
    rule?.algorithm === 'leaky-bucket'
      ? { ratePerSecond: (rule.limit * 1000) / rule.windowMs, burst: rule.burst ?? 0, delay: rule.delay === (rule.burst ?? 0) ? ('nodelay' as const) : (rule.delay ?? 0) }
      : undefined;
  return {
    upstreams: config.gatewayUpstreams.length > 0 ? config.gatewayUpstreams : defaultUpstreams(config.PORT),
    listenPort: config.PORT,
    policy: config.GATEWAY_POLICY,
    maxFails: config.GATEWAY_EJECT_AFTER_ERRORS,
    failTimeoutSeconds: Math.max(1, Math.round(config.GATEWAY_EJECT_MS / 1000)),
    keepaliveConnections: config.GATEWAY_CONNECTIONS,
    timeoutSeconds: Math.max(1, Math.ceil(config.GATEWAY_TIMEOUT_MS / 1000)),
    limit,
    staticDir: undefined,
    user: undefined,
    ...overrides,
  };
}

/** The pool `npm run cluster` starts: the two API processes after the gateway's port. */
export function defaultUpstreams(gatewayPort: number): UpstreamConfig[] {
  return [1, 2].map((i) => ({ address: `127.0.0.1:${gatewayPort + i}`, host: '127.0.0.1', port: gatewayPort + i, weight: 1, backup: false }));
}

const rate = (perSecond: number) => (perSecond >= 1 && Number.isInteger(perSecond) ? `${perSecond}r/s` : `${Math.max(1, Math.round(perSecond * 60))}r/m`);

/**
 * A complete nginx.conf doing what the gateway does, for the same pool: the balancing method,
 * weights and backups, passive health checks, keep-alive upstream connections, limit_req with the
 * same leaky bucket, proxy headers, streaming for SSE, and static files with immutable caching.
 * Paths are relative to nginx's prefix (`nginx -p DIR -c nginx.conf`).
 */
export function nginxConfig(o: NginxConfigOptions): string {
  if (o.upstreams.length === 0) throw new RangeError('nginx needs at least one upstream');
  const servers = o.upstreams.map((u) => {
    const host = u.host.includes(':') ? `[${u.host}]` : u.host;
    const weight = u.weight === 1 ? '' : ` weight=${u.weight}`;
    return `        server ${host}:${u.port}${weight} max_fails=${o.maxFails} fail_timeout=${o.failTimeoutSeconds}s${u.backup ? ' backup' : ''};`;
  });
  const method = METHODS[o.policy] ?? '';
  // nginx refuses `backup` with the hash methods.
  if ((o.policy === 'ip-hash' || o.policy === 'consistent-hash') && o.upstreams.some((u) => u.backup)) {
    throw new RangeError(`nginx does not allow backup servers with ${o.policy}`);
  }
  const limitZone = o.limit === undefined ? '' : `    limit_req_zone $binary_remote_addr zone=per_client:10m rate=${rate(o.limit.ratePerSecond)};\n    limit_req_status 429;\n`;
  const limitReq = o.limit === undefined ? '' : `            limit_req zone=per_client${o.limit.burst > 0 ? ` burst=${o.limit.burst}` : ''}${o.limit.delay === 'nodelay' ? ' nodelay' : o.limit.delay > 0 ? ` delay=${o.limit.delay}` : ''};\n`;
  const proxy = (readTimeout: string) => `            proxy_pass http://blueprint_api;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Request-Id $request_id;
            proxy_connect_timeout 5s;
            proxy_read_timeout ${readTimeout};
            # Another server for what failed before an answer; POST and PATCH only when never sent.
            proxy_next_upstream error timeout http_502 http_503 http_504;
            proxy_next_upstream_tries 3;
`;
  const statics =
    o.staticDir === undefined
      ? ''
      : `
        # Hashed file names never change: browsers and CDNs keep them for a year.
        location /assets/ {
            alias ${o.staticDir.replace(/\/?$/, '/')};
            add_header Cache-Control "public, max-age=31536000, immutable";
            # The build writes a .gz beside each asset (dist/public/assets): sent as it is.
            gzip_static on;
            access_log off;
        }
`;
  return `# Generated by \`blueprint nginx-config\`: the gateway's pool and policies, as nginx does them.
# Run: nginx -p <this folder> -c nginx.conf -g 'daemon off;'
${o.user === undefined ? '' : `user ${o.user};\n`}worker_processes ${o.workerProcesses ?? 'auto'};
pid nginx.pid;
error_log stderr warn;

events {
    worker_connections 4096;
}

http {
    access_log off;
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
    server_tokens off;
    client_max_body_size 64k;
${limitZone}
    upstream blueprint_api {
${method === '' ? '' : `        ${method}\n`}${servers.join('\n')}
        keepalive ${o.keepaliveConnections};
    }

    server {
        listen ${o.listenPort};

        # The live stream: no buffering, long reads (the API sends heartbeats).
        location = /api/v1/stream {
${limitReq}${proxy('1h')}            proxy_buffering off;
        }

        # The pool's processes answer /metrics on loopback, which nginx is: refuse it here, so that
        # the internet does not read them through the balancer (scrape each process on its own port).
        location = /metrics {
            default_type application/problem+json;
            return 403 '{"type":"about:blank","title":"Forbidden","status":403,"code":"metrics_forbidden","detail":"Scrape each process on its own address, not through the balancer"}';
        }

        location / {
${limitReq}${proxy(`${o.timeoutSeconds}s`)}        }
${statics}    }
}
`;
}
