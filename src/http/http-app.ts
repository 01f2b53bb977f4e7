import { createServer, type IncomingMessage, type ServerOptions, type ServerResponse } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { lazyChildLoggerFactory } from '../observability/lazy-child-logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import { clientErrorHandler, frameworkErrorHandler, registerErrorHandlers } from './error-handler.js';
import { registerRequestContext, type ResponseObserver } from './request-context.plugin.js';
import { givenRequestId, requestIdOf } from './request-id.js';
import { securityHeaders } from './security-headers.js';
import { tlsOptions } from './tls.js';
import { registerTracing } from './tracing.plugin.js';
import { validatorCompiler } from './validator-compiler.js';

/**
 * Answers some requests before Fastify routes them (true: answered and ended); every other request
 * goes on to Fastify untouched. For the hottest path only (a cached redirect): what it answers
 * gets none of the per-request plumbing but what it writes itself.
 */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Where a module installs its fast path once its routes are registered. */
export interface FastPathSlot {
  /**
   * False when requests must all take the full pipeline: TLS (the HTTP/2 server), tracing on
   * (every request gets a span), or ACCESS_LOG=all (every request gets a line).
   */
  readonly enabled: boolean;
  /** The paths of static GET routes (`/healthz`, ...): never a fast path's, whatever it matches. */
  readonly staticPaths: ReadonlySet<string>;
  /** The client address, as Fastify's `request.ip` computes it (trusted proxies honoured). */
  ipOf(req: IncomingMessage): string;
  /** The caller's request id when it sent a usable one (none is generated). */
  givenRequestId(req: IncomingMessage): string | undefined;
  /** The security headers every answer carries, as pairs. */
  readonly headers: readonly (readonly [string, string])[];
  /** Installs the fast path (one per app). */
  set(fastPath: FastPath): void;
  /**
   * Hands a request to the router after all: a fast path that took a request (answered true) and
   * then found, after waiting for something, that it cannot answer it.
   */
  route(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * A Fastify app as every serving role (API, gateway) builds it: TLS with HTTP/2 when a certificate
 * is configured, request ids, the trusted proxies and body limit of the configuration, then the
 * plumbing every request shares (request context with security headers, metrics and access log,
 * tracing, problem+json errors). Returns the app and where to hook work done after a response.
 */
export function createHttpApp(
  config: Config,
  deps: { logger: Logger; metrics: Metrics; tracing: Tracing },
): { app: FastifyInstance; afterResponse: (observer: ResponseObserver) => void; fastPath: FastPathSlot } {
  const tls = tlsOptions(config);
  let fastPath: FastPath | undefined;
  let router: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  // The plain HTTP/1 server Fastify would create, with one step in front of its handler.
  // Fastify has applied its defaults to these options by the time it calls the factory.
  const serverFactory: FastifyServerOptions['serverFactory'] = (handler, fastifyOptions) => {
    const options = fastifyOptions as { http?: ServerOptions; keepAliveTimeout: number; requestTimeout: number; headersTimeout?: number; connectionTimeout: number; maxRequestsPerSocket?: number | null };
    router = handler;
    const server = createServer(options.http ?? {}, (req, res) => {
      if (fastPath === undefined || !fastPath(req, res)) handler(req, res);
    });
    server.keepAliveTimeout = options.keepAliveTimeout;
    server.requestTimeout = options.requestTimeout;
    if (options.headersTimeout !== undefined) server.headersTimeout = options.headersTimeout;
    server.setTimeout(options.connectionTimeout);
    if ((options.maxRequestsPerSocket ?? 0) > 0) server.maxRequestsPerSocket = options.maxRequestsPerSocket!;
    return server;
  };
  // Node looks for requests past headersTimeout and requestTimeout this often (30 s by default, which would let a slowloris hold a connection that much longer).
  const checking = { connectionsCheckingInterval: Math.min(1_000, config.HEADERS_TIMEOUT_MS) };
  // With a certificate: HTTPS, HTTP/2 with HTTP/1.1 for clients that do not speak it.
  // The HTTP/2 server's types differ from HTTP/1's; the routes use neither's specifics.
  const server: object = tls === undefined ? { serverFactory, http: checking } : { http2: true, https: { allowHTTP1: true, ...checking, ...tls } };
  const servedOverTls = tls !== undefined || config.PUBLIC_URL.startsWith('https:');
  const staticHeaders = securityHeaders({ servedOverTls });
  const app = Fastify({
    ...server,
    loggerInstance: deps.logger as FastifyBaseLogger,
    // One access line per response comes from our onResponse hook instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    childLoggerFactory: lazyChildLoggerFactory,
    genReqId: requestIdOf,
    requestIdHeader: false,
    trustProxy: config.trustedProxies.length > 0 ? [...config.trustedProxies] : false,
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Slow clients: headers and the whole request within bounds (Fastify's default is no limit),
    // and a connection where nothing moves closed (a reader that stopped reading).
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    connectionTimeout: config.IDLE_TIMEOUT_MS,
    // Node gives a kept-alive connection keepAliveTimeout instead, once an answer is sent.
    keepAliveTimeout: Math.min(config.IDLE_TIMEOUT_MS, 72_000),
    frameworkErrors: frameworkErrorHandler(staticHeaders),
    clientErrorHandler: clientErrorHandler(staticHeaders),
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler());
  // Node checks headersTimeout only as often as connectionsCheckingInterval (30 s by default).
  app.server.headersTimeout = Math.min(config.HEADERS_TIMEOUT_MS, config.REQUEST_TIMEOUT_MS);
  const afterResponse = registerRequestContext(app, deps.metrics, { mode: config.ACCESS_LOG, slowMs: config.ACCESS_LOG_SLOW_MS }, staticHeaders);
  registerTracing(app, deps.tracing);
  registerErrorHandlers(app);
  const staticPaths = new Set<string>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.includes('GET') && !/[:*]/.test(route.url)) staticPaths.add(route.url);
  });
  const trust = config.trustedProxies.length > 0 ? proxyAddr.compile([...config.trustedProxies]) : undefined;
  const slot: FastPathSlot = {
    enabled: tls === undefined && !deps.tracing.enabled && config.ACCESS_LOG !== 'all',
    staticPaths,
    ipOf: trust === undefined ? (req) => req.socket.remoteAddress ?? '' : (req) => proxyAddr(req, trust),
    givenRequestId,
    headers: Object.entries(staticHeaders),
    set(path) {
      if (this.enabled) fastPath = path;
    },
    route(req, res) {
      router!(req, res);
    },
  };
  return { app, afterResponse, fastPath: slot };
}
