import type { MessageHandler } from '../../platform/queue/index.js';
import type { ClickBatch } from './click.model.js';
import { anonymizeIp, referrerHost, userAgentInfo } from './click-enrich.js';
import type { AnalyticsRepository, EnrichedClick } from './analytics.repository.js';

export interface ClickConsumerOptions {
  anonymizeIp: boolean;
  /** Called with how many clicks of a batch were new (the rest were redeliveries). */
  onStored?: (fresh: number, total: number) => void;
}

/** The queue handler of the `clicks` topic: enrich each click, store the batch idempotently. */
export function clickConsumer(repository: AnalyticsRepository, options: ClickConsumerOptions): MessageHandler<ClickBatch> {
  return async (message) => {
    const clicks = message.payload.clicks.map((c): EnrichedClick => {
      const ua = userAgentInfo(c.ua);
      return {
        ...c,
        ip: options.anonymizeIp ? anonymizeIp(c.ip) : c.ip,
        bot: ua.bot,
        referrerHost: referrerHost(c.ref),
        browser: ua.browser,
        os: ua.os,
        device: ua.device,
      };
    });
    const fresh = await repository.storeBatch(clicks);
    options.onStored?.(fresh, clicks.length);
  };
}
