import type { Channel, ChannelModel, GetMessage } from 'amqplib';
import type { TopicQueues } from './rabbitmq-queue.topology.js';

/** How long a browse waits for another process's browse of the same topic to finish. */
const LOCK_WAIT_MS = 10_000;
/** How long it waits for the broker to count the returned dead letters again (see below). */
const RESTORE_WAIT_MS = 2_000;

/** The dead letters read in one browse, held (unacknowledged) until the browse ends. */
export interface Browse {
  readonly messages: readonly GetMessage[];
  /** Removes a dead letter for good (after it was replayed). */
  remove(message: GetMessage): void;
}

/**
 * Runs `work` over the topic's dead letters. A broker cannot show a queue without taking its
 * messages, so a browse takes them all (basic.get, unacknowledged, at most `maxScan`) and closes
 * its channel afterwards, which puts back the ones not removed, in their order. Dead-letter
 * queues have no consumer, so nothing else is disturbed; their delivery count is not used.
 *
 * Two browses would each see a part, so a browse first declares an exclusive queue as a lock:
 * the broker lets one connection hold it and frees it if that connection dies. Returns null when
 * the topic has no dead-letter queue (nothing was ever declared for it).
 */
export async function browseDeadLetters<R>(
  model: ChannelModel,
  queues: TopicQueues,
  maxScan: number,
  work: (browse: Browse) => Promise<R>,
): Promise<R | null> {
  const lockChannel = await takeLock(model, queues);
  try {
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    let before: number;
    try {
      before = (await channel.checkQueue(queues.dead)).messageCount;
    } catch {
      return null; // 404: no such queue (the channel is closed by the broker)
    }
    let removed = 0;
    let result: R;
    try {
      const messages: GetMessage[] = [];
      for (let i = 0; i < maxScan; i++) {
        const message = await channel.get(queues.dead, { noAck: false });
        if (message === false) break;
        messages.push(message);
      }
      result = await work({
        messages,
        remove: (message) => {
          channel.ack(message);
          removed++;
        },
      });
    } finally {
      await channel.close().catch(() => undefined);
    }
    // The channel's close returns the rest, but the queue may count them a moment later; wait so
    // that a stats() right after this call sees them (bounded: a concurrent consumer may take some).
    await waitForCount(model, queues.dead, before - removed);
    return result;
  } finally {
    await lockChannel.deleteQueue(queues.lock).catch(() => undefined);
    await lockChannel.close().catch(() => undefined);
  }
}

async function takeLock(model: ChannelModel, queues: TopicQueues): Promise<Channel> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    try {
      await channel.assertQueue(queues.lock, { exclusive: true, durable: false, arguments: { 'x-queue-type': 'classic' } });
      return channel;
    } catch (error) {
      // 405 RESOURCE_LOCKED: another connection browses; the broker closed this channel.
      if (Date.now() > deadline) throw new Error(`dead letters of ${queues.work} are being browsed elsewhere`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, Math.min(500, 20 * 2 ** attempt) * (0.5 + Math.random() / 2)));
    }
  }
}

async function waitForCount(model: ChannelModel, queue: string, atLeast: number): Promise<void> {
  const channel = await model.createChannel();
  channel.on('error', () => undefined);
  try {
    const deadline = Date.now() + RESTORE_WAIT_MS;
    while (Date.now() < deadline) {
      if ((await channel.checkQueue(queue)).messageCount >= atLeast) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } catch {
    // Gone or unreachable: nothing to wait for.
  } finally {
    await channel.close().catch(() => undefined);
  }
}
