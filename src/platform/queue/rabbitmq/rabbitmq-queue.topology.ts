import type { Channel } from 'amqplib';

/**
 * The broker objects of one topic. Every queue is a durable quorum queue (replicated, fsynced
 * before a publisher confirm) except the browse lock, which is exclusive to one connection.
 *
 * - `work`: unkeyed messages; competing consumers, each with prefetch = its concurrency.
 * - `shards[i]`: keyed messages, a key always in the same shard (FNV-1a of the key, modulo the
 *   shard count). Single active consumer: the broker hands a shard to one subscription at a time
 *   and fails it over to a waiting one when that subscription's channel closes, returning its
 *   unacknowledged messages in order first. That is what serialises a key across processes
 *   (the consistent-hash exchange would do the hashing broker-side, but it is a plugin).
 * - `retries[j]`: unkeyed messages waiting for a backoff, in buckets of doubling ceilings; a
 *   message expires after its own delay (per-message TTL) and is dead-lettered back to `work`.
 *   Declared when a retry first needs one: each quorum queue is a Raft group of its own, and a
 *   broker creating and deleting thousands of them (a test suite does) slows down and can stall.
 * - `dead`: dead letters, kept until replayed; browsed under `lock`.
 * The delivery queues dead-letter to `dead` when the broker's delivery limit is exceeded, a guard
 * for crash loops our own attempt counter cannot see (e.g. a consumer that is not this adapter).
 */
export interface TopicQueues {
  readonly work: string;
  readonly shards: readonly string[];
  readonly retries: readonly { readonly ceilingMs: number; readonly queue: string }[];
  readonly dead: string;
  readonly lock: string;
}

/** What the queue arguments depend on; changing any of them for an existing topic is refused by the broker (406). */
export interface TopologySettings {
  prefix: string;
  shards: number;
  /** Ceilings of the retry buckets, ascending (see {@link retryCeilings}). */
  retryCeilingsMs: readonly number[];
  deliveryLimit: number;
}

/** Names of a topic's queues: `<prefix>.<topic>`, `.key.<i>`, `.retry.<ms>`, `.dead`, `.dead.lock`. */
export function topicQueues(settings: TopologySettings, topic: string): TopicQueues {
  const base = `${settings.prefix}.${topic}`;
  return {
    work: base,
    shards: Array.from({ length: settings.shards }, (_, i) => `${base}.key.${i}`),
    retries: settings.retryCeilingsMs.map((ceilingMs) => ({ ceilingMs, queue: `${base}.retry.${ceilingMs}` })),
    dead: `${base}.dead`,
    lock: `${base}.dead.lock`,
  };
}

/**
 * Doubling bucket ceilings from `minMs` until one reaches `capMs`. A delay goes to the first
 * bucket whose ceiling is at least the delay, so messages in one bucket differ by less than 2x:
 * per-message TTL only expires the head of a queue, and this bounds how long a short delay can
 * wait behind a longer one (a retry waits at least its drawn delay and less than twice it).
 */
export function retryCeilings(capMs: number, minMs = 32): number[] {
  const ceilings = [minMs];
  while ((ceilings.at(-1) ?? capMs) < capMs) ceilings.push((ceilings.at(-1) ?? minMs) * 2);
  return ceilings;
}

/** The retry queue for a delay: the first bucket whose ceiling is at least `delayMs` (the last one beyond). */
export function retryQueueFor(queues: TopicQueues, delayMs: number): string {
  const bucket = queues.retries.find((r) => r.ceilingMs >= delayMs) ?? queues.retries.at(-1);
  if (!bucket) throw new Error('no retry queue');
  return bucket.queue;
}

/** FNV-1a (32-bit) over the key's UTF-8 bytes: stable across processes and releases, unlike a language hash. */
export function shardOf(key: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

const QUORUM = { 'x-queue-type': 'quorum' } as const;

/** Dead-lettering that survives a broker failover: the source keeps a message until the target confirmed it. */
function deadLetterTo(queue: string): Record<string, unknown> {
  return {
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': queue,
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish', // required by at-least-once dead-lettering
  };
}

function declare(channel: Channel, name: string, args: Record<string, unknown>): Promise<unknown> {
  return channel.assertQueue(name, { durable: true, arguments: { ...QUORUM, ...args } });
}

/**
 * Declares (idempotently) the queues of a topic every consumer and publisher needs: the
 * dead-letter queue first, as the others point at it; retry buckets are left to {@link declareRetry}.
 */
export async function declareTopic(channel: Channel, settings: TopologySettings, queues: TopicQueues): Promise<void> {
  await declare(channel, queues.dead, {});
  const delivery = { ...deadLetterTo(queues.dead), 'x-delivery-limit': settings.deliveryLimit };
  await declare(channel, queues.work, delivery);
  for (const shard of queues.shards) await declare(channel, shard, { ...delivery, 'x-single-active-consumer': true });
}

/** Declares (idempotently) one retry bucket of a topic, expiring into its work queue. */
export async function declareRetry(channel: Channel, queues: TopicQueues, queue: string): Promise<void> {
  await declare(channel, queue, deadLetterTo(queues.work));
}

/** Every queue of the topic, for deletion (tests, decommissioning). */
export function allQueues(queues: TopicQueues): string[] {
  return [queues.work, ...queues.shards, ...queues.retries.map((r) => r.queue), queues.dead, queues.lock];
}
