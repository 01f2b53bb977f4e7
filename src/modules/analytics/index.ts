import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { Clock } from '../../platform/clock/index.js';
import type { IdGenerator } from '../../platform/ids/index.js';
import type { HandlerWrapper, QueuePort, Subscription } from '../../platform/queue/index.js';
import { tablesOf, type SqlDatabase } from '../../platform/sql/index.js';
import type { Metrics } from '../../observability/metrics.js';
import { AnalyticsRepository } from './analytics.repository.js';
import type { AnalyticsTables } from './analytics.tables.js';
import { ClickRecorder, type ClickRecorderOptions } from './click-recorder.js';
import { clickConsumer } from './click.consumer.js';
import { CLICKS_TOPIC, type ClickBatch } from './click.model.js';
import { StatsService } from './stats.service.js';
import { statsRoutes } from './stats.routes.js';

export { analyticsMigrationsFor } from './analytics.migrations.js';
export { ClickRecorder } from './click-recorder.js';
export { CLICKS_TOPIC, packClicks } from './click.model.js';
export type { Stats } from './stats.service.js';

export interface AnalyticsDeps {
  sql: SqlDatabase<unknown>;
  /** Where the stats are read, when that is not `sql` (read replicas). */
  reads?: SqlDatabase<unknown> | undefined;
  clock: Clock;
}

export interface Analytics {
  readonly stats: StatsService;
  /** `GET /api/v1/links/{code}/stats`; register with `{ stats, assertReadable }`. */
  readonly routes: typeof statsRoutes;
  /** All-time human clicks of a code. */
  clickTotal(code: string): Promise<number>;
  /** The buffer redirects write to. */
  createRecorder(queue: QueuePort, ids: IdGenerator, metrics: Metrics, log: Logger, options: ClickRecorderOptions): ClickRecorder;
  /** Starts the consumer that stores clicks; its counters go to `registry`. */
  startConsumer(queue: QueuePort, registry: Registry, options: { anonymizeIp: boolean; around?: HandlerWrapper | undefined }): Subscription;
}

/** The analytics module: click recording (API side), click storage (worker side) and stats. */
export function createAnalytics(deps: AnalyticsDeps): Analytics {
  const repository = new AnalyticsRepository(tablesOf<AnalyticsTables>(deps.sql));
  // Reports tolerate a replica's bounded lag: with read replicas they are read there.
  const stats = new StatsService(deps.reads === undefined ? repository : new AnalyticsRepository(tablesOf<AnalyticsTables>(deps.reads)), deps.clock);
  return {
    stats,
    routes: statsRoutes,
    clickTotal: (code) => repository.total(code),
    createRecorder(queue, ids, metrics, log, options) {
      return new ClickRecorder(queue, ids, metrics, log, options);
    },
    startConsumer(queue, registry, options) {
      const stored = new Counter({ name: 'clicks_stored_total', help: 'Clicks written by the analytics consumer.', registers: [registry] });
      const duplicates = new Counter({ name: 'clicks_duplicate_total', help: 'Redelivered clicks ignored by the analytics consumer.', registers: [registry] });
      const handler = clickConsumer(repository, {
        anonymizeIp: options.anonymizeIp,
        onStored: (clicks, fresh) => (fresh ? stored : duplicates).inc(clicks),
      });
      return queue.consume<ClickBatch>(
        CLICKS_TOPIC,
        options.around === undefined ? handler : options.around(handler),
        { concurrency: 1 },
      );
    },
  };
}
