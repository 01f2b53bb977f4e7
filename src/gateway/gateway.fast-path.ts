import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { FastPath, FastPathSlot } from '../http/http-app.js';
import { pathOf } from '../http/error-handler.js';
import type { Metrics } from '../observability/metrics.js';
import { AppError, toProblem } from '../shared/errors/index.js';
import { forwardedHeaders } from './forwarded-headers.js';
import { ProxySink, type ProxyTarget, type UpstreamHeaders } from './proxy-sink.js';
import { ifNoneMatchMatches, MAX_CACHED_BODY_BYTES, ResponseCache, type CachedResponse } from './response-cache.js';
import type { ClientState, UpstreamPool } from './upstream-pool.js';

export interface GatewayFastPathOptions {
  slot: FastPathSlot;
  pool: UpstreamPool;
  cache: ResponseCache | undefined;
  /** Counts a cache miss stored (the route's `edge_cache` counter). */
  countMiss: () => void;
  metrics: Metrics;
  logger: Logger;
  /** ACCESS_LOG=errors: the slowest answers are logged too (ms). */
  slowMs: number;
  accessLog: 'errors' | 'off';
  hashByPath: boolean;
}

/** The gateway's catch-all route, as the metrics name it. */
const ROUTE = '/*';

/**
 * The gateway's plain case, proxied before Fastify routes the request: a GET or HEAD without a
 * body or credentials (`Authorization` goes to the route, which checks the token at the edge), for
 * a path that is not the gateway's own (`/healthz`...), with no cached entry for it (hits,
 * revalidations and stale answers are the route's). The answer is what the route would send: the
 * same forwarded headers, the same streaming sink with the gateway's request id and security
 * headers, a cacheable answer stored and counted, failures as problem+json. What it skips is
 * Fastify's routing, hooks and reply objects, about a fifth of the gateway's CPU per request.
 * Installed only when the route's extra work does not apply: no edge rate limits, no trusted
 * proxies (X-Forwarded-* from the client are then never believed), and the slot's own conditions
 * (no TLS, no tracing, ACCESS_LOG not `all`).
 */
export function gatewayFastPath(options: GatewayFastPathOptions): FastPath {
  const { slot, pool, cache, metrics, logger, hashByPath } = options;
  const own = Object.fromEntries(slot.headers);
  const observe = metrics.httpRoute(ROUTE);
  const finish = (req: IncomingMessage, status: number, started: number) => {
    const ms = performance.now() - started;
    observe(req.method!, status, ms / 1000);
    if (options.accessLog === 'errors' && (status >= 400 || ms >= options.slowMs)) {
      logger.info({ method: req.method, route: ROUTE, path: pathOf(req.url!), status, ms: Math.round(ms * 100) / 100 }, 'request');
    }
  };
  return (req, res) => {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const { headers } = req;
    if (headers.authorization !== undefined || headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined) return false;
    const url = req.url!;
    // Origin-form only; what the router refuses (a bad percent-encoding: 400) is refused by it.
    if (url.charCodeAt(0) !== 47 /* / */) return false;
    const path = pathOf(url);
    if (slot.staticPaths.has(path) || (path.includes('%') && !decodable(path))) return false;
    const cacheable = cache !== undefined && ResponseCache.requestCacheable(method, headers);
    const key = cacheable ? ResponseCache.cacheKey(url, headers.origin) : '';
    if (cacheable && cache.peek(key) !== undefined) return false;

    const started = performance.now();
    const requestId = slot.givenRequestId(req) ?? randomUUID();
    const peer = req.socket.remoteAddress ?? '';
    const client: ClientState = { gone: false, upstream: undefined };
    res.once('close', () => {
      if (res.writableFinished) return;
      client.gone = true;
      client.upstream?.abort(new Error('client went away'));
    });
    const target: ProxyTarget = { raw: res, ownHeaders: () => ({ 'x-request-id': requestId, ...own }), takeOver: () => {} };
    const sink = new ProxySink(target, (status, answered) => cacheable && ResponseCache.freshnessMs(status, answered) !== undefined, MAX_CACHED_BODY_BYTES);
    pool
      .forward({ method, path: url, headers: forwardedHeaders(headers, { peer, protocol: 'http', host: headers.host ?? '', requestId, appendForwardedFor: false }), body: undefined, hashKey: hashByPath ? path : peer, client }, sink)
      .then(async () => {
        if (sink.streamed) {
          await sink.done.catch(() => {});
          finish(req, sink.status, started);
          return;
        }
        try {
          await sink.done;
        } catch (error) {
          throw new AppError('upstream_unreachable', 502, 'The API connection broke during the answer', { cause: error });
        }
        const entry = cache!.store(key, sink.status, sink.headers, sink.body!, ResponseCache.freshnessMs(sink.status, sink.headers)!);
        options.countMiss();
        finish(req, sendStored(req, res, entry, { 'x-request-id': requestId, ...own }), started);
      })
      .catch((error: unknown) => {
        const problem = error instanceof AppError ? error : new AppError('internal', 500, 'Internal error', { cause: error });
        // As the route's error handler does.
        if (problem.status >= 500) logger.error({ err: error }, 'request failed');
        if (!res.headersSent && !res.destroyed) {
          const body = JSON.stringify(toProblem(problem, path));
          res.writeHead(problem.status, { 'x-request-id': requestId, ...own, ...problem.headers, 'content-type': 'application/problem+json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) });
          res.end(method === 'HEAD' ? undefined : body);
        }
        finish(req, problem.status, started);
      });
    return true;
  };
}

function decodable(path: string): boolean {
  try {
    decodeURI(path);
    return true;
  } catch {
    return false;
  }
}

/** A response just stored in the shared cache, as the route sends one (`x-cache: MISS`); returns its status. */
function sendStored(req: IncomingMessage, res: ServerResponse, entry: CachedResponse, own: UpstreamHeaders): number {
  const head: UpstreamHeaders = { ...own, ...entry.headers, etag: entry.etag, age: '0', 'x-cache': 'MISS' };
  if (ifNoneMatchMatches(req.headers['if-none-match'], entry.etag)) {
    delete head['content-length'];
    res.writeHead(304, head as Record<string, string | string[]>);
    res.end();
    return 304;
  }
  head['content-length'] = String(entry.body.length);
  res.writeHead(entry.status, head as Record<string, string | string[]>);
  res.end(req.method === 'HEAD' ? undefined : entry.body);
  return entry.status;
}
