import type { Duplex } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { shouldRun } from '../../../../test/helpers/services.js';
import { sleep, waitFor } from '../queue.contract.js';
import type { RabbitMqQueue } from './rabbitmq-queue.js';
import { deleteTrackedQueues, RUN_PREFIX, testQueue } from './testing/rabbitmq-test-kit.js';

/** Cuts the queue's TCP connection as a network failure would: no AMQP close, the socket fails and the broker sees it go. */
function cutConnection(queue: RabbitMqQueue): void {
  const model = queue.connection.current;
  if (!model) throw new Error('not connected');
  (model.connection as unknown as { stream: Duplex }).stream.destroy(new Error('simulated network failure'));
}

/** Each key's payloads in delivery order with repeats (redeliveries, resends) removed. */
function firstSeenPerKey(deliveries: readonly { key: string | null; n: number }[]): Map<string | null, number[]> {
  const seen = new Set<number>();
  const byKey = new Map<string | null, number[]>();
  for (const { key, n } of deliveries) {
    if (seen.has(n)) continue;
    seen.add(n);
    byKey.set(key, [...(byKey.get(key) ?? []), n]);
  }
  return byKey;
}

describe.runIf(await shouldRun('rabbitmq'))('RabbitMqQueue across connection loss', () => {
  const queues: RabbitMqQueue[] = [];
  afterEach(async () => {
    await Promise.allSettled(queues.splice(0).map((q) => q.close({ timeoutMs: 0 })));
  });
  afterAll(deleteTrackedQueues);
  const topicFor = (label: string) => `${label}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 6)}`;

  it('loses no confirmed message and keeps key order when the connection drops mid-stream', async () => {
    const queue = testQueue({ connectionOptions: { connectionName: `${RUN_PREFIX}-drop` } });
    queues.push(queue);
    const topic = topicFor('drop');
    let downs = 0;
    queue.connection.onDown(() => downs++);
    const deliveries: { key: string | null; n: number }[] = [];
    const active = new Map<string, number>();
    const overlaps: number[] = [];
    queue.consume<{ n: number }>(
      topic,
      async (m) => {
        const key = m.key ?? `none:${m.payload.n}`;
        if ((active.get(key) ?? 0) > 0) overlaps.push(m.payload.n);
        active.set(key, (active.get(key) ?? 0) + 1);
        deliveries.push({ key: m.key, n: m.payload.n });
        await sleep(Math.random() * 3);
        active.set(key, (active.get(key) ?? 0) - 1);
      },
      { concurrency: 4, maxAttempts: 10 },
    );

    const BATCHES = 30;
    const confirmed: number[] = [];
    let cut = false;
    for (let batch = 0; batch < BATCHES; batch++) {
      const messages = Array.from({ length: 10 }, (_, j) => {
        const n = batch * 10 + j;
        return { key: n % 2 === 0 ? `k${n % 5}` : null, payload: { n } };
      });
      // Publishes during the outage wait for the reconnection (bounded by publishTimeoutMs).
      await queue.publish(topic, messages);
      confirmed.push(...messages.map((m) => m.payload.n));
      if (!cut && deliveries.length >= 40) {
        cutConnection(queue);
        cut = true;
      }
    }
    expect(cut).toBe(true);
    await waitFor('every confirmed message handled', () => confirmed.every((n) => deliveries.some((d) => d.n === n)), {
      timeoutMs: 20_000,
    });

    expect(downs).toBeGreaterThanOrEqual(1);
    expect(overlaps).toEqual([]);
    for (const [key, sequence] of firstSeenPerKey(deliveries)) {
      if (key !== null) expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
    }
    await waitFor('the topic to drain', async () => {
      const stats = await queue.stats(topic);
      return stats.ready + stats.inFlight + stats.delayed === 0;
    });
  });

  it('redelivers what was in hand when the connection dropped, with the next attempt number', async () => {
    const queue = testQueue({ connectionOptions: { connectionName: `${RUN_PREFIX}-inhand` } });
    queues.push(queue);
    const topic = topicFor('inhand');
    const seen: { n: number; attempt: number; id: string }[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    queue.consume<{ n: number }>(topic, async (m) => {
      seen.push({ n: m.payload.n, attempt: m.attempt, id: m.id });
      if (m.attempt === 1) await held; // its ack is void once the connection is gone
    });
    await queue.publish(topic, [{ key: 'k', payload: { n: 1 } }]);
    await waitFor('the first delivery', () => seen.length === 1);
    cutConnection(queue);
    await sleep(50);
    release();
    await waitFor('the redelivery', () => seen.length === 2, { timeoutMs: 15_000 });
    expect(seen[1]).toEqual({ n: 1, attempt: 2, id: seen[0]?.id });
  });

  it('does not leave a key blocked when a handler fails after its connection was lost', async () => {
    const queue = testQueue({ connectionOptions: { connectionName: `${RUN_PREFIX}-fail-after-cut` } });
    queues.push(queue);
    const topic = topicFor('failcut');
    const seen: string[] = [];
    let cutDone!: () => void;
    const afterCut = new Promise<void>((resolve) => (cutDone = resolve));
    queue.consume<{ n: number }>(
      topic,
      async (m) => {
        seen.push(`${m.payload.n}#${m.attempt}`);
        if (m.payload.n === 1 && m.attempt === 1) {
          await afterCut;
          throw new Error('failed on a dead channel');
        }
      },
      { concurrency: 2 },
    );
    await queue.publish(topic, [
      { key: 'k', payload: { n: 1 } },
      { key: 'k', payload: { n: 2 } },
    ]);
    await waitFor('the first delivery', () => seen.length === 1);
    cutConnection(queue);
    await sleep(20);
    cutDone();
    // Message 2 may have been prefetched before the cut: returned by it, RabbitMQ 3.x counts that as an attempt.
    const second = () => seen.findIndex((s) => s.startsWith('2#'));
    await waitFor('both messages after the reconnection', () => second() >= 0, { timeoutMs: 15_000 });
    expect(seen.filter((s) => s.startsWith('1#'))).toEqual(['1#1', '1#2']);
    expect(seen.indexOf('1#2')).toBeLessThan(second());
  });
});
