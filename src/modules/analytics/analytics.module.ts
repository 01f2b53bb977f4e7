import { defineModule, type ConsumerContext } from '../../shared/module.js';
import type { ClickRecorder } from './click-recorder.js';
import { analyticsMigrationsFor, createAnalytics, type Analytics } from './index.js';

export interface AnalyticsModule {
  readonly analytics: Analytics;
  /** The click buffer redirects write to (flushed to the queue on close). */
  readonly clicks: ClickRecorder;
  clickTotal(code: string): Promise<number>;
  readonly routes: (app: Parameters<Analytics['routes']>[0]) => Promise<void>;
  close(): Promise<void>;
}

/** Click recording and the stats API (API role); the stats are read where reads tolerate lag. */
export const analyticsModule = defineModule({
  name: 'analytics',
  needs: ['links'],
  migrations: analyticsMigrationsFor,
  create: ({ config, adapters, clock, ids, metrics, logger }, { links }: { links: { assertStatsReadable(code: string, userId: string | null): Promise<void> } }): AnalyticsModule => {
    const analytics = createAnalytics({ sql: adapters.sql, reads: adapters.reads, clock });
    const clicks = analytics.createRecorder(adapters.queue, ids, metrics, logger, {
      flushIntervalMs: config.CLICKS_FLUSH_INTERVAL_MS,
      batchSize: config.CLICKS_BATCH_SIZE,
      bufferLimit: config.CLICKS_BUFFER_LIMIT,
    });
    return {
      analytics,
      clicks,
      clickTotal: (code) => analytics.clickTotal(code),
      routes: (app) => analytics.routes(app, { stats: analytics.stats, assertReadable: (code, userId) => links.assertStatsReadable(code, userId) }),
      // Buffered clicks go to the durable queue: nothing is left in memory.
      close: () => clicks.close(),
    };
  },
});

/** The consumer that stores clicks (worker role). */
export const clickStoreModule = defineModule({
  name: 'click-store',
  needs: [],
  migrations: analyticsMigrationsFor,
  create: ({ config, adapters, clock }) => {
    const analytics = createAnalytics({ sql: adapters.sql, clock });
    return {
      consumers: ({ queue, registry, around }: ConsumerContext) => [analytics.startConsumer(queue, registry, { anonymizeIp: config.ANALYTICS_ANONYMIZE_IP, around })],
      close: async () => {},
    };
  },
});
