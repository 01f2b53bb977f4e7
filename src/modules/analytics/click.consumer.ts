import type { MessageHandler } from '../../platform/queue/index.js';
import type { ClickBatch } from './click.model.js';
import { anonymizeIp, referrerHost, userAgentInfo } from './click-enrich.js';
import type { AnalyticsRepository, EnrichedClick } from './analytics.repository.js';

export interface ClickConsumerOptions {
  anonymizeIp: boolean;
  /** Called per batch with its size and whether it was new (false: a redelivery, ignored). */
  onStored?: (clicks: number, fresh: boolean) => void;
}

/**
 * The queue handler of the `clicks` topic: enrich, then store the batch idempotently. User agents
 * and referrers are parsed once per distinct value of the batch, not once per click.
 */
export function clickConsumer(repository: AnalyticsRepository, options: ClickConsumerOptions): MessageHandler<ClickBatch> {
  return async (message) => {
    const b = message.payload;
    const agents = b.uas.map(userAgentInfo);
    const hosts = b.refs.map(referrerHost);
    const clicks = b.code.map((code, i): EnrichedClick => {
      const agent = agents[b.ua[i]!]!;
      return {
        seq: i,
        code,
        at: b.at[i]!,
        ip: options.anonymizeIp ? anonymizeIp(b.ip[i]!) : b.ip[i]!,
        ua: b.uas[b.ua[i]!]!,
        ref: b.refs[b.ref[i]!]!,
        head: b.head[i] === 1,
        bot: agent.bot,
        referrerHost: hosts[b.ref[i]!]!,
        browser: agent.browser,
        os: agent.os,
        device: agent.device,
      };
    });
    const fresh = await repository.storeBatch(b.batch, message.publishedAt, clicks);
    options.onStored?.(clicks.length, fresh);
  };
}
