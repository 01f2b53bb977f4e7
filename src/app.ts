import type { FastifyInstance } from 'fastify';
import type { Container } from './composition-root.js';
import { healthRoutes, type ReadinessCheck } from './http/health.routes.js';
import { metricsAccessFor } from './http/metrics-access.js';
import { queueAdminRoutes } from './http/queue-admin.routes.js';
import { createHttpApp } from './http/http-app.js';
import { registerOpenApi } from './http/openapi.plugin.js';
import { webappRoutes } from './webapp/webapp.routes.js';
import { registerRateLimits } from './http/rate-limit.plugin.js';
import { linksRoutes, QrRenderer, redirectFastPath, redirectRoutes } from './modules/links/index.js';
import { registerAuthentication } from './http/authentication.plugin.js';
import { registerBrowserAccess } from './http/security.plugin.js';
import { enforceNativeScopes } from './modules/oauth/index.js';

export interface AppOptions {
  checks: Record<string, ReadinessCheck>;
  isDraining: () => boolean;
}

/** Builds the HTTP application on a container: plugins first, then each module's routes. */
export async function buildApp(container: Container, options: AppOptions): Promise<FastifyInstance> {
  const { config, metrics, links, analytics, clicks, clock, accounts, feed, search, notifications, stream, oauth } = container;
  if (clicks === undefined || accounts === undefined || stream === undefined || oauth === undefined) throw new Error('the HTTP app needs the api role');
  const { app, afterResponse, fastPath } = createHttpApp(config, container);
  // OAuth tokens and, through the OAuth module, the accounts module's own.
  registerAuthentication(app, oauth);
  const limits = container.rateLimits === undefined ? undefined : registerRateLimits(app, { store: container.rateLimits, policies: config.rateLimits, metrics, logger: container.logger, afterResponse });
  await registerOpenApi(app, config.PUBLIC_URL);
  // Behind an in-process gateway the API listens on loopback (src/process.ts).
  const metricsAccess = metricsAccessFor(config, config.roles.has('gateway') ? '127.0.0.1' : config.HOST, (userId) => accounts.isOperator(userId));
  await app.register(healthRoutes, { metrics, checks: options.checks, isDraining: options.isDraining, metricsAccess });
  // The JSON API, with what browsers calling it need (CORS, cookies) in its own scope.
  await app.register(async (api) => {
    await registerBrowserAccess(api, { trustedOrigins: config.trustedOrigins });
    enforceNativeScopes(api);
    // The API takes JSON only: a text/plain body is 415, not a string handed to a JSON schema.
    api.removeContentTypeParser('text/plain');
    await api.register(accounts.routes);
    const qr = new QrRenderer({ budgetMsPerSecond: config.QR_RENDER_BUDGET_MS });
    await api.register(linksRoutes, { links, publicUrl: config.PUBLIC_URL, userOf: (request) => request.principal?.userId ?? null, qr });
    await api.register(analytics.routes, {
      stats: analytics.stats,
      assertReadable: (code, userId) => links.assertStatsReadable(code, userId),
    });
    await api.register(feed.routes);
    await api.register(search.routes, { hydrateTweets: (ids, viewerId) => feed.hydrateTweets(ids, viewerId) });
    await api.register(notifications.routes);
    await api.register(stream.routes);
    await api.register(queueAdminRoutes, {
      queue: container.queue,
      topics: container.queueTopics,
      isOperator: (userId) => accounts.isOperator(userId),
      onReplay: (entry) => container.logger.info({ ...entry, ids: entry.ids === 'all' ? 'all' : entry.ids.length }, 'dead letters replayed'),
    });
  });
  await app.register(oauth.routes);
  if (container.mastodon !== undefined) await app.register(container.mastodon.routes);
  await app.register(webappRoutes);
  await app.register(redirectRoutes, {
    links,
    clicks,
    clock,
    publicUrl: config.PUBLIC_URL,
    permanentMaxAge: config.REDIRECT_PERMANENT_MAX_AGE,
    clickTotal: analytics.clickTotal,
  });
  // The hot path: a cached redirect answered before the router (see redirect.fast-path.ts).
  fastPath.set(
    redirectFastPath({
      ...fastPath,
      links,
      clicks,
      clock,
      permanentMaxAge: config.REDIRECT_PERMANENT_MAX_AGE,
      limits: limits === undefined ? undefined : (req, ip) => limits.decideNow('GET /:code', req, ip),
      observe: (method, status, seconds) => metrics.observeHttp(method, '/:code', status, seconds),
    }),
  );
  return app;
}
