import type { ClickSink } from './links.model.js';
import { defineModule, type PreRouting } from '../../shared/module.js';
import { createLinks, linksMigrations, linksRoutes, QrRenderer, redirectFastPath, redirectRoutes, type KeyGenerator, type LinksService } from './index.js';
import { loadOrCreateSecret } from '../../lib/secrets.js';

export interface LinksModule {
  readonly service: LinksService;
  readonly keys: KeyGenerator;
  /** Throws the links module's 404 when the code does not exist or its statistics are not the user's to read (analytics' routes). */
  assertStatsReadable(code: string, userId: string | null): Promise<void>;
  readonly routes: ReturnType<typeof routesOf>;
  start(): Promise<void>;
  close(): Promise<void>;
}

const routesOf = (options: Parameters<typeof linksRoutes>[1]) => async (app: Parameters<typeof linksRoutes>[0]) => linksRoutes(app, options);

/** Short links: the service, its key generator, `/api/v1/links`. */
export const linksModule = defineModule({
  name: 'links',
  needs: [],
  migrations: () => linksMigrations,
  create: ({ config, adapters, clock, metrics }): LinksModule => {
    const secret = config.KEY_SECRET ?? loadOrCreateSecret(config.DATA_DIR, 'key-secret');
    const { service, keys } = createLinks({
      sql: adapters.sql,
      cache: adapters.cache,
      pubsub: adapters.pubsub,
      clock,
      metrics,
      publicUrl: config.PUBLIC_URL,
      listenPorts: [config.PORT, ...(config.API_PORT === undefined ? [] : [config.API_PORT])],
      maxUrlLength: config.LINK_MAX_URL_LENGTH,
      reservedWords: config.reservedWords,
      cacheTtlMs: config.CACHE_TTL_SECONDS * 1000,
      negativeCacheTtlMs: config.CACHE_NEGATIVE_TTL_SECONDS * 1000,
      keys: {
        strategy: config.KEY_STRATEGY,
        scramble: config.KEY_SCRAMBLE,
        secret,
        blockSize: config.KEY_BLOCK_SIZE,
        poolSize: config.KEY_POOL_SIZE,
        poolLowWatermark: config.KEY_POOL_LOW_WATERMARK,
      },
    });
    return {
      service,
      keys,
      assertStatsReadable: (code, userId) => service.assertStatsReadable(code, userId),
      routes: routesOf({
        links: service,
        publicUrl: config.PUBLIC_URL,
        userOf: (request) => request.principal?.userId ?? null,
        qr: new QrRenderer({ budgetMsPerSecond: config.QR_RENDER_BUDGET_MS }),
      }),
      async start() {
        keys.start?.();
      },
      async close() {
        await keys.stop?.();
      },
    };
  },
});

/** What the redirects read of analytics: the click buffer and the all-time count of a code. */
export interface ClickCounting {
  readonly clicks: ClickSink;
  clickTotal(code: string): Promise<number>;
}

/** `GET /{code}` and its preview, outside the JSON API: the links' hot path, feeding analytics' click buffer. */
export const redirectsModule = defineModule({
  name: 'redirects',
  needs: ['links', 'analytics'],
  migrations: () => ({}),
  create: ({ config, clock }, { links, analytics }: { links: LinksModule; analytics: ClickCounting }) => ({
    siteRoutes: async (app: Parameters<typeof redirectRoutes>[0]) =>
      redirectRoutes(app, {
        links: links.service,
        clicks: analytics.clicks,
        clock,
        publicUrl: config.PUBLIC_URL,
        permanentMaxAge: config.REDIRECT_PERMANENT_MAX_AGE,
        clickTotal: (code) => analytics.clickTotal(code),
      }),
    // The hot path: a cached redirect answered before the router (see redirect.fast-path.ts).
    preRouting: (http: PreRouting) =>
      redirectFastPath({
        ...http,
        links: links.service,
        clicks: analytics.clicks,
        clock,
        permanentMaxAge: config.REDIRECT_PERMANENT_MAX_AGE,
        limits: http.limitsOf('GET /:code'),
        observe: http.observe('/:code'),
      }),
    close: async () => {},
  }),
});
