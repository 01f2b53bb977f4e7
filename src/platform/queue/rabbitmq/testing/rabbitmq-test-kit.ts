import { connect } from 'amqplib';
import { SERVICES } from '../../../../../test/helpers/services.js';
import { allQueues, retryCeilings, topicQueues } from '../rabbitmq-queue.topology.js';
import { RabbitMqQueue, type RabbitMqQueueOptions } from '../rabbitmq-queue.js';

/** A prefix unique to this test process, so parallel runs and engineers never share a queue. */
export const RUN_PREFIX = `bp-test-${process.pid}-${Date.now().toString(36)}`;

/** A RabbitMqQueue that remembers the topics it touched, so a test can delete their queues. */
export class TrackedQueue extends RabbitMqQueue {
  static readonly topics = new Set<string>();
  static readonly prefixes = new Set<string>();

  constructor(options: RabbitMqQueueOptions) {
    super(options);
    TrackedQueue.prefixes.add(options.prefix ?? 'blueprint');
  }

  override queuesOf(topic: string) {
    TrackedQueue.topics.add(topic);
    return super.queuesOf(topic);
  }
}

/** The queue the suites use: the machine's broker, short backoffs (jitter from the upper half: >= 50 ms). */
export function testQueue(options: Partial<RabbitMqQueueOptions> = {}): TrackedQueue {
  return new TrackedQueue({
    url: SERVICES.rabbitmq,
    prefix: RUN_PREFIX,
    shards: 4,
    maxAttempts: 3,
    backoff: { baseMs: 100, capMs: 400 },
    random: () => 0.5 + Math.random() / 2,
    closeTimeoutMs: 2_000,
    publishTimeoutMs: 10_000,
    ...options,
    connectionOptions: { connectionName: `${RUN_PREFIX}-queue`, reconnect: { initialMs: 50, maxMs: 500 }, ...options.connectionOptions },
  });
}

/** Deletes every queue the tracked queues may have declared for the topics they touched. */
export async function deleteTrackedQueues(): Promise<void> {
  if (TrackedQueue.topics.size === 0) return;
  const model = await connect(SERVICES.rabbitmq);
  try {
    let channel = await model.createChannel();
    for (const prefix of TrackedQueue.prefixes) {
      // A superset of every test's shards and retry buckets (all buckets start at 32 ms and double).
      const settings = { prefix, shards: 16, retryCeilingsMs: retryCeilings(300_000), deliveryLimit: 100 };
      for (const topic of TrackedQueue.topics) {
        for (const queue of allQueues(topicQueues(settings, topic))) {
          try {
            await channel.deleteQueue(queue);
          } catch {
            channel = await model.createChannel();
          }
        }
      }
    }
    TrackedQueue.topics.clear();
  } finally {
    await model.close();
  }
}
