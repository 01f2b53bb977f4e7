import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { lazyChildLoggerFactory } from '../observability/lazy-child-logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import { registerErrorHandlers } from './error-handler.js';
import { registerRequestContext, type ResponseObserver } from './request-context.plugin.js';
import { requestIdOf } from './request-id.js';
import { securityHeaders } from './security-headers.js';
import { tlsOptions } from './tls.js';
import { registerTracing } from './tracing.plugin.js';

/**
 * A Fastify app as every serving role (API, gateway) builds it: TLS with HTTP/2 when a certificate
 * is configured, request ids, the trusted proxies and body limit of the configuration, then the
 * plumbing every request shares (request context with security headers, metrics and access log,
 * tracing, problem+json errors). Returns the app and where to hook work done after a response.
 */
export function createHttpApp(
  config: Config,
  deps: { logger: Logger; metrics: Metrics; tracing: Tracing },
  extra: Pick<FastifyServerOptions, 'ajv'> = {},
): { app: FastifyInstance; afterResponse: (observer: ResponseObserver) => void } {
  const tls = tlsOptions(config);
  // With a certificate: HTTPS, HTTP/2 with HTTP/1.1 for clients that do not speak it.
  // The HTTP/2 server's types differ from HTTP/1's; the routes use neither's specifics.
  const server: object = tls === undefined ? {} : { http2: true, https: { allowHTTP1: true, ...tls } };
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
    ...extra,
  }) as unknown as FastifyInstance;
  const servedOverTls = tls !== undefined || config.PUBLIC_URL.startsWith('https:');
  const afterResponse = registerRequestContext(app, deps.metrics, { mode: config.ACCESS_LOG, slowMs: config.ACCESS_LOG_SLOW_MS }, securityHeaders({ servedOverTls }));
  registerTracing(app, deps.tracing);
  registerErrorHandlers(app);
  return { app, afterResponse };
}
