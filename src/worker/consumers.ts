import type { Registry } from 'prom-client';
import { Counter, Histogram } from 'prom-client';
import { publishToUser } from '../modules/stream/index.js';
import type { TimelineChange } from '../modules/feed/index.js';
import type { Container } from '../composition-root.js';
import { yieldToApi, type LoadSignal } from '../lib/load-signal.js';
import { outageGate, type HandlerWrapper, type Subscription } from '../platform/queue/index.js';
import { runWithTraceparent } from '../observability/trace-context.js';
import type { Tracing } from '../observability/tracing.js';

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
  const yielding = load !== undefined && policy.busyAbove < 1;
  // Each consumer stores into the database: while it is down, a delivery waits for it (bounded)
  // instead of spending its attempts, so an outage pauses the work rather than dead-lettering it.
  const around: HandlerWrapper = (handler) => {
    const gated = outageGate(handler, {
      ping: () => container.sql.ping(),
      maxWaitMs: policy.maxWaitMs,
      onWait: (err) => container.logger.warn({ err }, 'consumer waits for the database to come back'),
    });
    const traced = tracedHandler(container.tracing)(gated);
    if (!yielding) return traced;
    return async (message) => {
      const ms = await yieldToApi(load, message.publishedAt, policy);
      if (ms > 0) waited.inc(ms / 1000);
      await traced(message);
    };
  };
  const subscriptions = [
    container.analytics.startConsumer(container.queue, registry, { anonymizeIp: config.ANALYTICS_ANONYMIZE_IP, around }),
    container.search.startConsumer(container.queue, { registry, around }),
    container.notifications.startConsumer(container.queue, { registry, around }),
  ];
  return {
    async stop() {
      await Promise.all(subscriptions.map((s) => s.stop()));
    },
  };
}

/**
 * Wires the feed's fan-out where the home timelines are. Inline (timelines in this process): the
 * writes deliver as they commit, and this only listens, for metrics and the live stream. Queued
 * (timelines in Redis): starts the consumer of `feed.fanout`, after it loaded its follower graph.
 * Changes go live to followers with an open stream on this instance; the others read them from
 * their timeline.
 */
export async function startFanout(container: Container, registry: Registry): Promise<Subscription> {
  const { feed, queue, stream, pubsub, logger, config } = container;
  const deliveries = new Counter({ name: 'feed_fanout_deliveries_total', help: 'Tweet ids pushed into home timelines by fan-out.', registers: [registry] });
  const lag = new Histogram({
    name: 'feed_fanout_lag_seconds',
    help: 'From posting a tweet to its push into a batch of home timelines.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const listeners = {
    watching: stream === undefined ? undefined : () => stream.watching(),
    onDelivered(count: number, postedAt: number) {
      deliveries.inc(count);
      lag.observe(Math.max(0, Date.now() - postedAt) / 1000);
    },
    onChanged:
      stream === undefined
        ? undefined
        : (users: readonly bigint[], change: TimelineChange) => {
            const data = { id: change.tweetId.toString(), authorId: change.authorId.toString() };
            for (const user of users) {
              const id = user.toString();
              if (id !== data.authorId && stream.wants(id)) {
                publishToUser(pubsub, id, { type: change.type, data }).catch((err: unknown) => logger.warn({ err }, 'live timeline event failed'));
              }
            }
          },
  };
  if (feed.fanoutMode === 'inline') {
    feed.listen(listeners);
    return { stop: async () => feed.listen({ onDelivered: undefined, onChanged: undefined, watching: undefined }) };
  }
  const started = Date.now();
  const subscription = await feed.startFanout(queue, {
    ...listeners,
    around: tracedHandler(container.tracing),
    // Well inside the visibility timeout, so a waiting message is never redelivered meanwhile.
    outageWaitMs: Math.floor(config.QUEUE_VISIBILITY_TIMEOUT_MS / 3),
    onOutage: (err) => logger.warn({ err }, 'fan-out waits for the timeline store or the database to come back'),
  });
  logger.info({ ms: Date.now() - started }, 'fan-out consumer started (follower graph loaded)');
  return subscription;
}

/**
 * A consumer span per delivery, child of the span that published the message (its traceparent),
 * failed when the handler throws; what the handler publishes in turn continues the trace.
 */
export function tracedHandler(tracing: Tracing): HandlerWrapper {
  if (!tracing.enabled) return (handler) => handler;
  return (handler) => async (message) => {
    const span = tracing.startFrom(`consume ${message.topic}`, 'consumer', message.traceparent ?? undefined)!;
    span.setAttributes({ 'messaging.destination.name': message.topic, 'messaging.message.id': message.id, 'messaging.delivery.attempt': message.attempt });
    let failed = false;
    try {
      await runWithTraceparent(tracing.traceparent(span), () => handler(message));
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      tracing.end(span, failed);
    }
  };
}
