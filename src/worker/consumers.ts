import type { Registry } from 'prom-client';
import type { Container } from '../composition-root.js';
import type { Subscription } from '../platform/queue/index.js';

/** Starts every queue consumer of the worker role; one `stop` for them all. */
export function startConsumers(container: Container, registry: Registry): Subscription {
  const subscriptions = [container.analytics.startConsumer(container.queue, registry, { anonymizeIp: container.config.ANALYTICS_ANONYMIZE_IP })];
  return {
    async stop() {
      await Promise.all(subscriptions.map((s) => s.stop()));
    },
  };
}
