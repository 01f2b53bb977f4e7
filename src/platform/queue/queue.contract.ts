import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessageHandler, QueueMessage, QueuePort, QueueStats } from './queue.port.js';

/** What the suite needs to know about how the factory configured its instances. */
export interface QueueContractSettings {
  /** The queue-wide maxAttempts every instance is built with (at least 2; keep it small, e.g. 3). */
  maxAttempts: number;
  /**
   * A guaranteed minimum delay before a failed message is redelivered (ms). Full jitter can draw
   * 0, so a factory that wants this checked must constrain its jitter (e.g. inject a `random`
   * drawing from the upper half); keep retries short (≲ 100 ms) so the suite stays fast.
   */
  minRetryDelayMs: number;
  /**
   * What an adapter's backend cannot promise or observe; omitted, the full contract applies (the
   * embedded adapter claims none). Each relaxes only the assertions it names, and an adapter that
   * claims one says so in its documentation.
   */
  limits?: {
    /**
     * Order holds per key (and among unkeyed messages), not across keys: a broker adapter spreads
     * keys over several queues, and a consumer of several queues receives them interleaved. The
     * port only promises per-key order. Relaxes the global-order checks of one consumer.
     */
    perKeyOrderOnly?: boolean;
    /**
     * `oldestAgeMs` only sees messages a consumer has taken: a broker tells how many messages wait
     * but not their age, and reading one to find out counts as a delivery. Relaxes the age check of
     * messages that no consumer has taken yet (it must then stay within [0, their age]).
     */
    ageOfTakenMessagesOnly?: boolean;
  };
}

/**
 * How the contract reaches an adapter. Every instance opened during one test must share the
 * same backing store (file, broker vhost...), as separate processes of one deployment would.
 */
export interface QueueContractFactory {
  readonly settings: QueueContractSettings;
  /** Before each test: start from a fresh, empty store. */
  reset?(): Promise<void>;
  /** A new instance on the current store; the suite closes it after the test. */
  open(): Promise<QueuePort>;
  /**
   * Abandons an instance as if its process died: handlers in hand never ack, nothing is cleaned
   * up gracefully; their messages must be redelivered to other instances (attempt + 1) within
   * a few seconds (lease expiry, broker connection loss...).
   */
  crash(queue: QueuePort): Promise<void>;
  /** After each test, once every instance the suite opened has been closed. */
  dispose?(): Promise<void>;
}

interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/** Polls `probe` until it returns something truthy and returns that; fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 5 }: WaitOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise resolved from outside: holds a handler until the test lets it go. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const EMPTY: Omit<QueueStats, 'deadLettered'> = { ready: 0, inFlight: 0, delayed: 0, oldestAgeMs: 0 };

interface N {
  n: number;
}

/** Whether, within each key (unkeyed messages as one group), `n` rises in delivery order. */
function inOrderPerKey(messages: readonly QueueMessage<N>[]): boolean {
  const last = new Map<string | null, number>();
  for (const m of messages) {
    if ((last.get(m.key) ?? -1) >= m.payload.n) return false;
    last.set(m.key, m.payload.n);
  }
  return true;
}

/** The behaviour every queue adapter promises (see queue.port.ts); each adapter's test calls this. */
export function runQueueContract(name: string, factory: QueueContractFactory): void {
  describe(`${name} (queue contract)`, () => {
    const opened: QueuePort[] = [];
    let topics = 0;
    // Unique per test and per run, so an adapter whose store outlives a test cannot leak messages.
    const topicFor = (label: string): string => `contract.${label}.${Date.now().toString(36)}.${++topics}`;
    const open = async (): Promise<QueuePort> => {
      const queue = await factory.open();
      opened.push(queue);
      return queue;
    };
    const drained = (queue: QueuePort, topic: string): Promise<QueueStats> =>
      waitFor(`${topic} to drain`, async () => {
        const stats = await queue.stats(topic);
        return stats.ready + stats.inFlight + stats.delayed === 0 && stats.oldestAgeMs === 0 ? stats : undefined;
      });

    beforeEach(async () => {
      await factory.reset?.();
    });
    afterEach(async () => {
      await Promise.allSettled(opened.splice(0).map((queue) => queue.close()));
      await factory.dispose?.();
    });

    it('delivers messages with id, topic, key, payload, attempt 1 and publish time, a batch in order', async () => {
      const queue = await open();
      const topic = topicFor('deliver');
      const other = topicFor('other');
      const payloads = [{ n: 0, text: 'héllo', list: [1, null, { deep: true }] }, ...range(19).map((i) => ({ n: i + 1 }))];
      const before = Date.now();
      await queue.publish(topic, payloads.map((payload, i) => ({ key: i % 3 === 0 ? null : `k${i % 2}`, payload })));
      const after = Date.now();

      const got: QueueMessage<N>[] = [];
      const elsewhere: QueueMessage[] = [];
      const subscription = queue.consume<N>(topic, async (m) => void got.push(m), { concurrency: 1 });
      const otherSubscription = queue.consume(other, async (m) => void elsewhere.push(m));
      await waitFor('all 20 messages', () => got.length === 20);

      if (factory.settings.limits?.perKeyOrderOnly) {
        expect(inOrderPerKey(got)).toBe(true);
        expect(got.map((m) => m.payload.n).sort((x, y) => x - y)).toEqual(range(20));
      } else {
        expect(got.map((m) => m.payload.n)).toEqual(range(20));
      }
      expect(got.find((m) => m.payload.n === 0)).toEqual({
        id: expect.any(String),
        topic,
        key: null,
        payload: payloads[0],
        attempt: 1,
        publishedAt: expect.any(Number),
        traceparent: null,
      });
      for (const m of got) expect(m.key).toBe(m.payload.n % 3 === 0 ? null : `k${m.payload.n % 2}`);
      for (const m of got) {
        expect(m.attempt).toBe(1);
        expect(m.publishedAt).toBeGreaterThanOrEqual(before);
        expect(m.publishedAt).toBeLessThanOrEqual(after);
      }
      expect(new Set(got.map((m) => m.id)).size).toBe(20);
      await drained(queue, topic);
      await Promise.all([subscription.stop(), otherSubscription.stop()]);
      expect(elsewhere).toEqual([]);
    });

    it('keeps published messages across a close and reopen', async () => {
      const first = await open();
      const topic = topicFor('durable');
      await first.publish(topic, [{ key: 'k', payload: { n: 1 } }, { payload: { n: 2 } }]);
      await first.close();
      await expect(first.publish(topic, [{ payload: { n: 3 } }])).rejects.toBeInstanceOf(Error);

      const second = await open();
      const got: number[] = [];
      second.consume<N>(topic, async (m) => void got.push(m.payload.n));
      await waitFor('both messages after reopening', () => got.length === 2);
      expect(factory.settings.limits?.perKeyOrderOnly ? [...got].sort() : got).toEqual([1, 2]);
      await drained(second, topic);
    });

    it('hands each message its traceparent, on the first delivery and on a retry', async () => {
      const queue = await open();
      const topic = topicFor('trace');
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const seen: [number, number, string | null][] = [];
      queue.consume<N>(topic, async (m) => {
        seen.push([m.payload.n, m.attempt, m.traceparent]);
        if (m.payload.n === 0 && m.attempt === 1) throw new Error('retried with its trace');
      });
      await queue.publish(topic, [{ payload: { n: 0 }, traceparent }, { payload: { n: 1 } }]);
      await waitFor('both handled, the first one twice', () => seen.length === 3);
      expect(seen.sort((a, b) => a[0] - b[0] || a[1] - b[1])).toEqual([
        [0, 1, traceparent],
        [0, 2, traceparent],
        [1, 1, null],
      ]);
      await drained(queue, topic);
    });

    it('redelivers a message whose handler threw, with the next attempt number, losing none', async () => {
      const queue = await open();
      const topic = topicFor('retry');
      const attempts = new Map<string, number[]>();
      const handled = new Set<number>();
      queue.consume<N>(
        topic,
        async (m) => {
          attempts.set(m.id, [...(attempts.get(m.id) ?? []), m.attempt]);
          if (m.attempt === 1) throw new Error('first try fails');
          handled.add(m.payload.n);
        },
        { concurrency: 2 },
      );
      await queue.publish(topic, range(10).map((n) => ({ payload: { n } })));
      await waitFor('every message handled on its second attempt', () => handled.size === 10);
      expect([...handled].sort((a, b) => a - b)).toEqual(range(10));
      expect(attempts.size).toBe(10);
      for (const seen of attempts.values()) expect(seen).toEqual([1, 2]);
      await drained(queue, topic);
    });

    it('backs off between attempts, dead-letters after maxAttempts, lists and replays dead letters', async () => {
      const { maxAttempts, minRetryDelayMs } = factory.settings;
      const queue = await open();
      const topic = topicFor('dead');
      const deliveries = new Map<number, { attempt: number; at: number }[]>();
      const failing = queue.consume<N>(
        topic,
        async (m) => {
          deliveries.set(m.payload.n, [...(deliveries.get(m.payload.n) ?? []), { attempt: m.attempt, at: Date.now() }]);
          throw new Error(`boom ${m.payload.n}`);
        },
        { concurrency: 3 },
      );
      await queue.publish(topic, range(3).map((n) => ({ payload: { n } })));
      const stats = await waitFor('three dead letters', async () => {
        const s = await queue.stats(topic);
        return s.deadLettered === 3 ? s : undefined;
      });
      expect(stats).toEqual({ ...EMPTY, deadLettered: 3 });
      await failing.stop();
      expect(deliveries.size).toBe(3);
      for (const seen of deliveries.values()) {
        expect(seen.map((d) => d.attempt)).toEqual(range(maxAttempts).map((i) => i + 1));
        // Each delivery's handler threw right after recording its time, so the gap is the backoff.
        for (let i = 1; i < seen.length; i++) {
          expect((seen[i]?.at ?? 0) - (seen[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(minRetryDelayMs - 2);
        }
      }

      const page1 = await queue.listDeadLetters<N>(topic, { limit: 2 });
      expect(page1).toHaveLength(2);
      const last = page1[1];
      if (!last) throw new Error('unreachable');
      const page2 = await queue.listDeadLetters<N>(topic, { limit: 2, after: last.id });
      expect(page2).toHaveLength(1);
      const all = [...page1, ...page2];
      expect(all.map((d) => d.payload.n).sort()).toEqual([0, 1, 2]);
      for (const dead of all) {
        expect(dead).toMatchObject({ topic, key: null, attempts: maxAttempts });
        expect(dead.lastError).toContain(`boom ${dead.payload.n}`);
        expect(dead.failedAt).toBeGreaterThanOrEqual(dead.publishedAt);
      }
      expect(await queue.listDeadLetters(topic, { after: page2[0]?.id })).toEqual([]);
      expect(await queue.listDeadLetters(topicFor('nothing-dead'))).toEqual([]);

      const replayed: QueueMessage<N>[] = [];
      queue.consume<N>(topic, async (m) => void replayed.push(m));
      const first = page1[0];
      if (!first) throw new Error('unreachable');
      expect(await queue.replayDeadLetters(topic, [first.id])).toBe(1);
      await waitFor('the replayed dead letter', () => replayed.length === 1);
      expect(replayed[0]).toMatchObject({ attempt: 1, key: null, payload: first.payload });
      expect((await queue.stats(topic)).deadLettered).toBe(2);
      expect(await queue.replayDeadLetters(topic)).toBe(2);
      await waitFor('the other two replays', () => replayed.length === 3);
      expect(replayed.map((m) => m.payload.n).sort()).toEqual([0, 1, 2]);
      expect(replayed.every((m) => m.attempt === 1)).toBe(true);
      expect(await queue.listDeadLetters(topic)).toEqual([]);
      expect(await drained(queue, topic)).toEqual({ ...EMPTY, deadLettered: 0 });
    });

    it('unblocks a key when its head message is dead-lettered, honouring ConsumeOptions.maxAttempts', async () => {
      const queue = await open();
      const topic = topicFor('dead-key');
      const events: string[] = [];
      queue.consume<N>(
        topic,
        async (m) => {
          events.push(`${m.payload.n}#${m.attempt}`);
          if (m.payload.n === 0) throw new Error('poison');
        },
        { concurrency: 4, maxAttempts: 2 },
      );
      await queue.publish(topic, [
        { key: 'k', payload: { n: 0 } },
        { key: 'k', payload: { n: 1 } },
      ]);
      await waitFor('the message behind the poisoned one', () => events.includes('1#1'));
      expect(events).toEqual(['0#1', '0#2', '1#1']);
      const [dead] = await queue.listDeadLetters<N>(topic);
      expect(dead).toMatchObject({ key: 'k', attempts: 2, payload: { n: 0 } });
      expect(await drained(queue, topic)).toEqual({ ...EMPTY, deadLettered: 1 });
    });

    it('replays dead letters of one key in their original order, one at a time', async () => {
      const queue = await open();
      const topic = topicFor('replay-key');
      let poisoned = true;
      let active = 0;
      let overlapped = false;
      const handled: number[] = [];
      queue.consume<N>(
        topic,
        async (m) => {
          if (poisoned) throw new Error('down');
          overlapped ||= active > 0;
          active++;
          await sleep(Math.random() * 5);
          active--;
          handled.push(m.payload.n);
        },
        { concurrency: 4, maxAttempts: 1 },
      );
      await queue.publish(topic, range(4).map((n) => ({ key: 'k', payload: { n } })));
      await waitFor('four dead letters', async () => (await queue.stats(topic)).deadLettered === 4);
      poisoned = false;
      expect(await queue.replayDeadLetters(topic)).toBe(4);
      await waitFor('the replayed messages', () => handled.length === 4);
      expect(handled).toEqual(range(4));
      expect(overlapped).toBe(false);
    });

    it('spreads messages over competing consumers and hands each to exactly one', async () => {
      const [a, b] = [await open(), await open()];
      const topic = topicFor('compete');
      const counts = new Map<string, number>();
      const perSubscription = [0, 0, 0];
      const active = [0, 0, 0];
      const maxActive = [0, 0, 0];
      const handlerFor =
        (index: number): MessageHandler<N> =>
        async (m) => {
          counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
          perSubscription[index] = (perSubscription[index] ?? 0) + 1;
          active[index] = (active[index] ?? 0) + 1;
          maxActive[index] = Math.max(maxActive[index] ?? 0, active[index] ?? 0);
          await sleep(Math.random() * 3);
          active[index] = (active[index] ?? 0) - 1;
        };
      a.consume(topic, handlerFor(0), { concurrency: 4 });
      a.consume(topic, handlerFor(1), { concurrency: 4 });
      b.consume(topic, handlerFor(2), { concurrency: 4 });
      await a.publish(topic, range(150).map((n) => ({ payload: { n } })));
      await b.publish(topic, range(150).map((n) => ({ payload: { n: 150 + n } })));

      await waitFor('300 distinct messages handled', () => counts.size === 300, { timeoutMs: 20_000 });
      await drained(a, topic);
      expect([...counts.values()].every((c) => c === 1)).toBe(true);
      expect(perSubscription.reduce((x, y) => x + y, 0)).toBe(300);
      expect(perSubscription.filter((c) => c > 0).length).toBeGreaterThan(1);
      for (const peak of maxActive) expect(peak).toBeLessThanOrEqual(4);
    });

    it('handles each key one message at a time, in publish order, across retries and instances', async () => {
      const [a, b] = [await open(), await open()];
      const topic = topicFor('ordered');
      const KEYS = 5;
      const PER_KEY = 40;
      const active = new Map<string, number>();
      const overlaps: string[] = [];
      const succeeded = new Map<string, number[]>(range(KEYS).map((k) => [`k${k}`, []]));
      let failures = 0;
      let total = 0;
      const handler: MessageHandler<{ seq: number }> = async (m) => {
        const key = m.key ?? 'null';
        if ((active.get(key) ?? 0) > 0) overlaps.push(`${key}:${m.payload.seq}`);
        active.set(key, (active.get(key) ?? 0) + 1);
        try {
          await sleep(Math.random() * 3);
          if (m.attempt === 1 && Math.random() < 0.25) {
            failures++;
            throw new Error('transient');
          }
          succeeded.get(key)?.push(m.payload.seq);
          total++;
        } finally {
          active.set(key, (active.get(key) ?? 0) - 1);
        }
      };
      a.consume(topic, handler, { concurrency: 8, maxAttempts: 10 });
      b.consume(topic, handler, { concurrency: 8, maxAttempts: 10 });
      // Ten batches, alternating publishers: order is the order in which publishes completed.
      for (let batch = 0; batch < 10; batch++) {
        const messages = range(20).map((j) => {
          const i = batch * 20 + j;
          return { key: `k${i % KEYS}`, payload: { seq: Math.floor(i / KEYS) } };
        });
        await (batch % 2 === 0 ? a : b).publish(topic, messages);
      }

      await waitFor('every message handled successfully', () => total === KEYS * PER_KEY, { timeoutMs: 20_000 });
      expect(overlaps).toEqual([]);
      for (const sequence of succeeded.values()) expect(sequence).toEqual(range(PER_KEY));
      expect(failures).toBeGreaterThan(0);
      await drained(a, topic);
    });

    it('redelivers the messages a crashed instance held to another instance', async () => {
      const crashed = await open();
      const topic = topicFor('crash');
      const held: QueueMessage<N>[] = [];
      crashed.consume<N>(topic, (m) => {
        held.push(m);
        return new Promise<void>(() => {}); // hangs until the process "dies"
      });
      await crashed.publish(topic, [
        { key: 'k', payload: { n: 1 } },
        { key: 'k', payload: { n: 2 } },
      ]);
      await waitFor('the doomed delivery', () => held.length === 1);
      await factory.crash(crashed);

      const survivor = await open();
      const got: QueueMessage<N>[] = [];
      survivor.consume<N>(topic, async (m) => void got.push(m));
      await waitFor('redelivery of both messages', () => got.length === 2, { timeoutMs: 15_000 });
      expect(got[0]).toMatchObject({ id: held[0]?.id, attempt: 2, key: 'k', payload: { n: 1 } });
      expect(got[1]).toMatchObject({ attempt: 1, key: 'k', payload: { n: 2 } });
      expect(held).toHaveLength(1);
      await drained(survivor, topic);
    });

    it('reports ready, in-flight, delayed and the age of the oldest message', async () => {
      const { minRetryDelayMs } = factory.settings;
      const queue = await open();
      const topic = topicFor('stats');
      expect(await queue.stats(topic)).toEqual({ ...EMPTY, deadLettered: 0 });

      const t0 = Date.now();
      await queue.publish(topic, range(3).map((n) => ({ payload: { n } })));
      const t1 = Date.now();
      await sleep(40);
      const s0 = Date.now();
      const waiting = await queue.stats(topic);
      const s1 = Date.now();
      expect(waiting).toMatchObject({ ready: 3, inFlight: 0, delayed: 0, deadLettered: 0 });
      expect(waiting.oldestAgeMs).toBeGreaterThanOrEqual(factory.settings.limits?.ageOfTakenMessagesOnly ? 0 : s0 - t1 - 1);
      expect(waiting.oldestAgeMs).toBeLessThanOrEqual(s1 - t0 + 1);

      const hold0 = gate();
      const hold2 = gate();
      const started: number[] = [];
      const done: number[] = [];
      let failedAt = 0;
      queue.consume<N>(
        topic,
        async (m) => {
          started.push(m.payload.n);
          if (m.payload.n === 0) await hold0.promise;
          if (m.payload.n === 1 && m.attempt === 1) {
            failedAt = Date.now();
            throw new Error('later');
          }
          if (m.payload.n === 2) await hold2.promise;
          done.push(m.payload.n);
        },
        { concurrency: 1 },
      );
      await waitFor('the first delivery', () => started.length === 1);
      expect(await queue.stats(topic)).toMatchObject({ ready: 2, inFlight: 1, delayed: 0 });

      hold0.open();
      // Message 1 fails and waits for its backoff; message 2 (available earlier) is taken meanwhile.
      await waitFor('message 2 in hand', () => started.includes(2));
      const asked = Date.now();
      const mixed = await queue.stats(topic);
      expect(mixed.inFlight).toBe(1);
      expect(mixed.ready + mixed.delayed).toBe(1);
      if (asked < failedAt + minRetryDelayMs) expect(mixed.delayed).toBe(1);
      expect(mixed.oldestAgeMs).toBeGreaterThan(0);

      hold2.open();
      await waitFor('all three handled', () => done.length === 3);
      expect(done.sort()).toEqual([0, 1, 2]);
      expect(await drained(queue, topic)).toEqual({ ...EMPTY, deadLettered: 0 });
    });

    it('stop() waits for the handler in hand, then takes no more messages', async () => {
      const queue = await open();
      const topic = topicFor('stop');
      const hold = gate();
      const seenByStopped: number[] = [];
      let finished = false;
      const subscription = queue.consume<N>(topic, async (m) => {
        seenByStopped.push(m.payload.n);
        await hold.promise;
        finished = true;
      });
      await queue.publish(topic, [{ payload: { n: 1 } }]);
      await waitFor('the first delivery', () => seenByStopped.length === 1);

      let stopped = false;
      const stopping = subscription.stop().then(() => (stopped = true));
      await sleep(30);
      expect(stopped).toBe(false);
      hold.open();
      await stopping;
      expect(finished).toBe(true);
      expect(await queue.stats(topic)).toMatchObject({ ready: 0, inFlight: 0, delayed: 0 });

      await queue.publish(topic, [{ payload: { n: 2 } }]);
      const seenByOther: number[] = [];
      queue.consume<N>(topic, async (m) => void seenByOther.push(m.payload.n));
      await waitFor('the message published after stop', () => seenByOther.length === 1);
      expect(seenByOther).toEqual([2]);
      expect(seenByStopped).toEqual([1]);
    });

    it('answers ping while open and rejects publish once closed', async () => {
      const queue = await open();
      await expect(queue.ping()).resolves.toBeUndefined();
      await queue.publish(topicFor('empty'), []);
      await queue.close();
      await expect(queue.publish(topicFor('closed'), [{ payload: 1 }])).rejects.toBeInstanceOf(Error);
    });
  });
}
