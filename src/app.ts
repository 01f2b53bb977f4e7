import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/index.js';
import type { Accounts, Principal } from './modules/accounts/index.js';
import type { Metrics } from './observability/metrics.js';
import type { Tracing } from './observability/tracing.js';
import type { QueuePort } from './platform/queue/index.js';
import type { RateLimitStore } from './platform/ratelimit/index.js';
import { healthRoutes, type ReadinessCheck } from './http/health.routes.js';
import { metricsAccessFor } from './http/metrics-access.js';
import { queueAdminRoutes } from './http/queue-admin.routes.js';
import { createHttpApp } from './http/http-app.js';
import { registerOpenApi } from './http/openapi.plugin.js';
import { webappRoutes } from './webapp/webapp.routes.js';
import { registerRateLimits } from './http/rate-limit.plugin.js';
import { registerAuthentication } from './http/authentication.plugin.js';
import { registerBrowserAccess } from './http/security.plugin.js';
import { registerWebSocket } from './http/websocket.plugin.js';
import { enforceNativeScopes, type OAuth } from './modules/oauth/index.js';
import type { Module, PreRouting } from './shared/module.js';

/** What the HTTP app is built on: the API role's container (src/composition/api.ts). */
export interface AppContainer {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracing: Tracing;
  readonly rateLimits: RateLimitStore;
  readonly queue: QueuePort;
  readonly queueTopics: readonly string[];
  /** Every module of the role, in start order; oauth authenticates each request (accounts' own credentials through it), accounts knows the operators. */
  readonly modules: Readonly<Record<string, Module>> & {
    readonly accounts: Module & Pick<Accounts, 'isOperator'>;
    readonly oauth: Module & Pick<OAuth, 'authenticate' | 'authenticateNow'>;
  };
}

export interface AppOptions {
  checks: Record<string, ReadinessCheck>;
  isDraining: () => boolean;
}

/** Builds the HTTP application on the API role's container: plugins first, then every module's routes. */
export async function buildApp(container: AppContainer, options: AppOptions): Promise<FastifyInstance> {
  const { config, metrics, logger, modules } = container;
  const all: Module[] = Object.values(modules);
  const { app, afterResponse, fastPath } = createHttpApp(config, container);
  // WebSocket routes (the chat's, Mastodon's streaming) share one upgrade handler. Its hooks go
  // before authentication's and the rate limits': an upgrade those refuse must still be marked as
  // one, or its connection outlives the refusal (the plugin destroys it after the answer).
  await registerWebSocket(app);
  // OAuth tokens and, through the OAuth module, the accounts module's own.
  registerAuthentication(app, modules.oauth);
  const limits = registerRateLimits(app, { store: container.rateLimits, policies: config.rateLimits, metrics, logger, afterResponse });
  await registerOpenApi(app, config.PUBLIC_URL);
  // Behind an in-process gateway the API listens on loopback (src/process.ts).
  const metricsAccess = metricsAccessFor(config, config.roles.has('gateway') ? '127.0.0.1' : config.HOST, (userId) => modules.accounts.isOperator(userId));
  await app.register(healthRoutes, { metrics, checks: options.checks, isDraining: options.isDraining, metricsAccess });
  // The JSON API, with what browsers calling it need (CORS, cookies) in its own scope.
  await app.register(async (api) => {
    await registerBrowserAccess(api, { trustedOrigins: config.trustedOrigins });
    enforceNativeScopes(api);
    // The API takes JSON only: a text/plain body is 415, not a string handed to a JSON schema.
    api.removeContentTypeParser('text/plain');
    for (const module of all) if (module.routes !== undefined) await api.register(module.routes);
    await api.register(queueAdminRoutes, {
      queue: container.queue,
      topics: container.queueTopics,
      isOperator: (userId) => modules.accounts.isOperator(userId),
      onReplay: (entry) => logger.info({ ...entry, ids: entry.ids === 'all' ? 'all' : entry.ids.length }, 'dead letters replayed'),
    });
  });
  await app.register(webappRoutes);
  for (const module of all) if (module.siteRoutes !== undefined) await app.register(module.siteRoutes);
  const http: PreRouting = {
    ...fastPath,
    callerNow: (req) => modules.oauth.authenticateNow(req.headers.authorization),
    // The caller comes from callerNow: a Principal.
    limitsOf: (route) => (req, ip, caller) => limits.decideNow(route, req, ip, (caller as Principal | undefined) ?? null),
    observe: (route) => metrics.httpRoute(route),
  };
  const handlers = all.flatMap((m) => (m.preRouting === undefined ? [] : [m.preRouting(http)]));
  // Each path matches its own URLs first and declines the rest: asking them in turn costs a regular expression each.
  if (handlers.length === 1) fastPath.set(handlers[0]!);
  else if (handlers.length > 1) fastPath.set((req, res) => handlers.some((handle) => handle(req, res)));
  return app;
}
