import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import type { Config } from '../config/index.js';
import { healthRoutes } from '../http/health.routes.js';
import { metricsAccessFor } from '../http/metrics-access.js';
import { createHttpApp } from '../http/http-app.js';
import { registerRateLimits } from '../http/rate-limit.plugin.js';
import type { Tracing } from '../observability/tracing.js';
import type { Metrics } from '../observability/metrics.js';
import type { Clock } from '../platform/clock/index.js';
import type { RateLimitStore } from '../platform/ratelimit/index.js';
import { AppError } from '../shared/errors/index.js';
import { ifNoneMatchMatches, MAX_CACHED_BODY_BYTES, ResponseCache, type CacheLookup } from './response-cache.js';
import { EdgeAuthenticator, registerEdgeAuth } from './edge-auth.js';
import { forwardedHeaders } from './forwarded-headers.js';
import { gatewayFastPath } from './gateway.fast-path.js';
import { ProxySink, replyTarget, type UpstreamHeaders } from './proxy-sink.js';
import type { ClientState, UpstreamPool } from './upstream-pool.js';
import { UpgradeProxy } from './upgrade-proxy.js';
import { METRIC } from '../contracts/metric-names.js';

export interface GatewayAppOptions {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  pool: UpstreamPool;
  rateLimits: RateLimitStore | undefined;
  tracing: Tracing;
  isDraining: () => boolean;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * The edge: TLS, request ids, security headers, access tokens checked, the global rate limit,
 * access logs and metrics, a shared cache for public GETs, then the API pool behind it. Business
 * rules (per-route limits, API keys, sessions) stay in the API, which sees the client through
 * X-Forwarded-For.
 */
export async function buildGatewayApp(options: GatewayAppOptions): Promise<FastifyInstance> {
  const { config, metrics, pool } = options;
  const { app, afterResponse, fastPath } = createHttpApp(config, options);
  if (config.GATEWAY_AUTH === 'verify') {
    registerEdgeAuth(app, new EdgeAuthenticator({ fetchJson: (path) => pool.fetchJson(path), clock: options.clock, issuer: config.JWT_ISSUER ?? config.PUBLIC_URL, audience: config.JWT_AUDIENCE, logger: options.logger }));
  }
  const edgePolicies = config.rateLimits.filter((p) => p.routes === 'all');
  const edgeLimited = options.rateLimits !== undefined && edgePolicies.length > 0;
  if (options.rateLimits !== undefined && edgeLimited) {
    registerRateLimits(app, { store: options.rateLimits, policies: edgePolicies, metrics, logger: options.logger, afterResponse });
  }
  await app.register(healthRoutes, {
    metrics,
    metricsAccess: metricsAccessFor(config, config.HOST),
    isDraining: options.isDraining,
    checks: {
      upstreams: async () => {
        const now = options.clock.now();
        const live = pool.balancer.snapshot().filter((s) => s.healthy && (s.ejectedUntil === undefined || s.ejectedUntil <= now));
        if (live.length === 0) throw new Error('no API instance is in rotation');
      },
    },
  });

  // Bodies pass through as bytes, kept so that an idempotent request can be sent again elsewhere.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const cache = config.GATEWAY_CACHE_MAX_ENTRIES > 0 ? new ResponseCache({ maxEntries: config.GATEWAY_CACHE_MAX_ENTRIES, clock: options.clock }) : undefined;
  const cacheResults = new Counter({ name: METRIC.edgeCache, help: 'Public GETs by cache result: hit, miss, revalidated, stale (served while the pool failed), bypass.', labelNames: ['result'], registers: [metrics.registry] });
  const counted = { hit: cacheResults.labels('hit'), miss: cacheResults.labels('miss'), revalidated: cacheResults.labels('revalidated'), stale: cacheResults.labels('stale'), bypass: cacheResults.labels('bypass') };
  const hashByPath = config.GATEWAY_POLICY === 'consistent-hash';
  const appendForwardedFor = config.trustedProxies.length > 0;

  const proxy = async (request: FastifyRequest, reply: FastifyReply) => {
    const key = ResponseCache.cacheKey(request.url, request.headers.origin);
    const cacheable = cache !== undefined && ResponseCache.requestCacheable(request.method, request.headers);
    if (cacheable) {
      const hit = cache.lookup(key, { allowStale: false });
      if (hit !== undefined) {
        counted.hit.inc();
        return sendCached(request, reply, hit, 'HIT');
      }
    }
    const headers = forwardedHeaders(request.headers, { peer: request.socket.remoteAddress ?? '', protocol: request.protocol, host: request.host, requestId: request.id, appendForwardedFor });
    const stored = cacheable ? cache.peek(key) : undefined;
    const revalidating = stored?.upstreamEtag === true && headers['if-none-match'] === undefined;
    if (revalidating) headers['if-none-match'] = stored!.etag;
    const client: ClientState = { gone: false, upstream: undefined };
    reply.raw.once('close', () => {
      if (reply.raw.writableFinished) return;
      client.gone = true;
      client.upstream?.abort(new Error('client went away'));
    });
    const collect = (status: number, upstreamHeaders: UpstreamHeaders) => (revalidating && status === 304) || (cacheable && ResponseCache.freshnessMs(status, upstreamHeaders) !== undefined);
    const sink = new ProxySink(replyTarget(reply), collect, MAX_CACHED_BODY_BYTES);
    try {
      await pool.forward(
        {
          method: request.method,
          path: request.url,
          headers,
          body: Buffer.isBuffer(request.body) ? request.body : undefined,
          hashKey: hashByPath ? request.url.split('?', 1)[0]! : request.ip,
          client,
          span: request.span,
        },
        sink,
      );
    } catch (error) {
      // Graceful degradation: a public document a little old beats an error page.
      const stale = cacheable ? cache.lookup(key, { allowStale: true }) : undefined;
      if (stale === undefined) throw error;
      counted.stale.inc();
      return sendCached(request, reply, stale, 'STALE');
    }
    if (sink.streamed) {
      if (cacheable) counted.bypass.inc();
      // Hijacked: the body streams on by itself; this frame need not live as long as it does.
      sink.done.catch(() => {});
      return reply;
    }
    await sink.done.catch((error: unknown) => {
      throw new AppError('upstream_unreachable', 502, 'The API connection broke during the answer', { cause: error });
    });
    if (revalidating && sink.status === 304) {
      cache!.refresh(stored!, ResponseCache.freshnessMs(200, sink.headers));
      counted.revalidated.inc();
      return sendCached(request, reply, { entry: stored!, fresh: true, ageSeconds: 0 }, 'REVALIDATED');
    }
    const entry = cache!.store(key, sink.status, sink.headers, sink.body!, ResponseCache.freshnessMs(sink.status, sink.headers)!);
    counted.miss.inc();
    return sendCached(request, reply, { entry, fresh: true, ageSeconds: 0 }, 'MISS');
  };
  // WebSocket upgrades (the chat's socket, Mastodon's streaming): piped to an upstream; drained when it leaves the pool or the gateway closes.
  const upgrades = new UpgradeProxy({
    pool,
    logger: options.logger,
    registry: metrics.registry,
    timeoutMs: config.GATEWAY_TIMEOUT_MS,
    retries: config.GATEWAY_RETRIES,
    // The peer, for ip-hash and consistent-hash alike: hashing a socket by its path would send every chat socket to one upstream.
    hashKey: (req) => req.socket.remoteAddress ?? '',
    forwardedFor: (req) => {
      const peer = req.socket.remoteAddress ?? '';
      const prior = req.headers['x-forwarded-for'];
      return appendForwardedFor && typeof prior === 'string' && prior !== '' ? `${prior}, ${peer}` : peer;
    },
    isDraining: options.isDraining,
  });
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => upgrades.handle(req, socket, head));
  // Before the server closes: upgraded sockets would otherwise keep its close waiting.
  app.addHook('preClose', () => upgrades.closeAll());
  if (!edgeLimited && !appendForwardedFor && config.ACCESS_LOG !== 'all') {
    fastPath.set(
      gatewayFastPath({ slot: fastPath, pool, cache, countMiss: () => counted.miss.inc(), metrics, logger: options.logger, slowMs: config.ACCESS_LOG_SLOW_MS, accessLog: config.ACCESS_LOG, hashByPath }),
    );
  }
  app.route({ method: [...METHODS], url: '/*', exposeHeadRoute: false, handler: proxy });
  app.route({ method: [...METHODS], url: '/', exposeHeadRoute: false, handler: proxy });
  return app;
}

function sendCached(request: FastifyRequest, reply: FastifyReply, lookup: CacheLookup, result: string): FastifyReply {
  const { entry } = lookup;
  reply.headers(entry.headers).header('etag', entry.etag).header('age', String(lookup.ageSeconds)).header('x-cache', result);
  if (ifNoneMatchMatches(request.headers['if-none-match'], entry.etag)) {
    reply.removeHeader('content-length');
    return reply.code(304).send();
  }
  return reply.code(entry.status).send(entry.body);
}
