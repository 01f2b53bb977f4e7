import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import type { Container } from '../composition-root.js';
import { yieldToApi, type LoadSignal } from '../lib/load-signal.js';
import type { Subscription } from '../platform/queue/index.js';

/**
 * Starts every queue consumer of the worker role; one `stop` for them all. With a load signal,
 * each message first yields to the API thread while it is saturated (bounded by the lag budget).
 */
export function startConsumers(container: Container, registry: Registry, load?: LoadSignal): Subscription {
  const { config } = container;
  const waited = new Counter({ name: 'background_yield_seconds_total', help: 'Time background consumers spent waiting for the API thread to have room.', registers: [registry] });
  const policy = {
    busyAbove: config.BACKGROUND_YIELD_ABOVE,
    maxLagMs: config.BACKGROUND_MAX_LAG_MS,
    // Well inside the visibility timeout, so a waiting message is never redelivered meanwhile.
    maxWaitMs: Math.floor(config.QUEUE_VISIBILITY_TIMEOUT_MS / 3),
    pollMs: 50,
  };
  const beforeHandle =
    load === undefined || policy.busyAbove >= 1
      ? undefined
      : async (publishedAt: number) => {
          const ms = await yieldToApi(load, publishedAt, policy);
          if (ms > 0) waited.inc(ms / 1000);
        };
  const subscriptions = [container.analytics.startConsumer(container.queue, registry, { anonymizeIp: config.ANALYTICS_ANONYMIZE_IP, beforeHandle })];
  return {
    async stop() {
      await Promise.all(subscriptions.map((s) => s.stop()));
    },
  };
}
