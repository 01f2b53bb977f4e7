import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Container } from './composition-root.js';
import { registerErrorHandlers } from './http/error-handler.js';
import { healthRoutes, type ReadinessCheck } from './http/health.routes.js';
import { registerOpenApi } from './http/openapi.plugin.js';
import { registerRequestContext } from './http/request-context.plugin.js';
import { registerRateLimits } from './http/rate-limit.plugin.js';
import { requestIdOf } from './http/request-id.js';
import { lazyChildLoggerFactory } from './observability/lazy-child-logger.js';
import { linksRoutes, redirectRoutes } from './modules/links/index.js';
import { registerAuthentication } from './http/authentication.plugin.js';
import { registerBrowserAccess } from './http/security.plugin.js';
import { securityHeaders } from './http/security-headers.js';
import { tlsOptions } from './http/tls.js';
import { registerTracing } from './http/tracing.plugin.js';

export interface AppOptions {
  checks: Record<string, ReadinessCheck>;
  isDraining: () => boolean;
}

/** Builds the HTTP application on a container: plugins first, then each module's routes. */
export async function buildApp(container: Container, options: AppOptions): Promise<FastifyInstance> {
  const { config, metrics, links, analytics, clicks, clock, accounts, feed, search, notifications, stream } = container;
  if (clicks === undefined || accounts === undefined || stream === undefined) throw new Error('the HTTP app needs the api role');
  const tls = tlsOptions(config);
  // With a certificate: HTTPS, HTTP/2 with HTTP/1.1 for clients that do not speak it.
  // The HTTP/2 server's types differ from HTTP/1's; the routes use neither's specifics.
  const server: object = tls === undefined ? {} : { http2: true, https: { allowHTTP1: true, ...tls } };
  const app = Fastify({
    ...server,
    loggerInstance: container.logger as FastifyBaseLogger,
    // One access line per response comes from our onResponse hook instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    childLoggerFactory: lazyChildLoggerFactory,
    genReqId: requestIdOf,
    requestIdHeader: false,
    trustProxy: config.trustedProxies.length > 0 ? [...config.trustedProxies] : false,
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Every invalid field is reported at once.
    ajv: { customOptions: { allErrors: true } },
  }) as unknown as FastifyInstance;

  const servedOverTls = tls !== undefined || config.PUBLIC_URL.startsWith('https:');
  const afterResponse = registerRequestContext(app, metrics, { mode: config.ACCESS_LOG, slowMs: config.ACCESS_LOG_SLOW_MS }, securityHeaders({ servedOverTls }));
  registerTracing(app, container.tracing);
  registerErrorHandlers(app);
  registerAuthentication(app, accounts);
  if (container.rateLimits !== undefined) {
    registerRateLimits(app, { store: container.rateLimits, policies: config.rateLimits, metrics, logger: container.logger, afterResponse });
  }
  await registerOpenApi(app, config.PUBLIC_URL);
  await app.register(healthRoutes, { metrics, checks: options.checks, isDraining: options.isDraining });
  // The JSON API, with what browsers calling it need (CORS, cookies) in its own scope.
  await app.register(async (api) => {
    await registerBrowserAccess(api, { trustedOrigins: config.trustedOrigins });
    await api.register(accounts.routes);
    await api.register(linksRoutes, { links, publicUrl: config.PUBLIC_URL, userOf: (request) => request.principal?.userId ?? null });
    await api.register(analytics.routes, {
      stats: analytics.stats,
      assertLinkExists: async (code: string) => {
        await links.get(code);
      },
    });
    await api.register(feed.routes);
    await api.register(search.routes, { hydrateTweets: (ids, viewerId) => feed.hydrateTweets(ids, viewerId) });
    await api.register(notifications.routes);
    await api.register(stream.routes);
  });
  await app.register(redirectRoutes, {
    links,
    clicks,
    clock,
    publicUrl: config.PUBLIC_URL,
    permanentMaxAge: config.REDIRECT_PERMANENT_MAX_AGE,
    clickTotal: analytics.clickTotal,
  });
  return app;
}
