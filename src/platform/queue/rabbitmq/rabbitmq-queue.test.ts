import { spawnSync } from 'node:child_process';
import { connect, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SERVICES, shouldRun } from '../../../../test/helpers/services.js';
import { ServiceUnavailableError } from '../../../shared/errors/index.js';
import { runQueueContract, sleep, waitFor } from '../queue.contract.js';
import type { QueueMessage } from '../queue.port.js';
import { PublishRefusedError } from './rabbitmq-publisher.js';
import type { RabbitMqQueue } from './rabbitmq-queue.js';
import { retryCeilings, retryQueueFor, shardOf, topicQueues } from './rabbitmq-queue.topology.js';
import { deleteTrackedQueues, RUN_PREFIX, testQueue } from './testing/rabbitmq-test-kit.js';

describe('RabbitMQ queue topology (no broker)', () => {
  it('hashes a key to a stable shard (FNV-1a), spreading keys over all shards', () => {
    // Fixed values (FNV-1a of '' and of 'a'): a key's shard must not move between releases or processes.
    expect(shardOf('', 8)).toBe(0x811c9dc5 % 8);
    expect(shardOf('a', 1 << 30)).toBe(0xe40c292c % (1 << 30));
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[shardOf(`user:${i}`, 8)]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(800);
  });

  it('puts a delay in the first doubling bucket at least as long, so a retry waits at least its delay and less than twice it', () => {
    expect(retryCeilings(400)).toEqual([32, 64, 128, 256, 512]);
    expect(retryCeilings(300_000).at(-1)).toBe(32 * 2 ** 14);
    const queues = topicQueues({ prefix: 'p', shards: 2, retryCeilingsMs: retryCeilings(400), deliveryLimit: 9 }, 't');
    expect(queues.shards).toEqual(['p.t.key.0', 'p.t.key.1']);
    expect([0, 32, 33, 100, 256, 257, 9_999].map((d) => retryQueueFor(queues, d))).toEqual([
      'p.t.retry.32',
      'p.t.retry.32',
      'p.t.retry.64',
      'p.t.retry.128',
      'p.t.retry.256',
      'p.t.retry.512',
      'p.t.retry.512',
    ]);
  });
});

describe.runIf(await shouldRun('rabbitmq'))('RabbitMqQueue', () => {
  afterAll(deleteTrackedQueues);

  runQueueContract('RabbitMqQueue', {
    // Keys are sharded over several queues, and a broker cannot age a message nobody took (see README.md here).
    settings: { maxAttempts: 3, minRetryDelayMs: 50, limits: { perKeyOrderOnly: true, ageOfTakenMessagesOnly: true } },
    open: async () => testQueue(),
    crash: (queue) => (queue as RabbitMqQueue).close({ timeoutMs: 0 }),
  });

  describe('RabbitMQ specifics', () => {
    let raw: ChannelModel;
    const queues: RabbitMqQueue[] = [];
    let topics = 0;
    const topicFor = (label: string) => `spec.${label}.${Date.now().toString(36)}.${++topics}`;
    const open = (options: Parameters<typeof testQueue>[0] = {}) => {
      const queue = testQueue(options);
      queues.push(queue);
      return queue;
    };
    beforeAll(async () => {
      raw = await connect(SERVICES.rabbitmq);
    });
    afterEach(async () => {
      await Promise.allSettled(queues.splice(0).map((q) => q.close({ timeoutMs: 0 })));
    });
    afterAll(async () => {
      await raw.close();
    });
    /** Consumers registered on a queue (0 when it does not exist yet). */
    const consumersOn = async (queue: string): Promise<number> => {
      const channel = await raw.createChannel();
      channel.on('error', () => undefined);
      try {
        return (await channel.checkQueue(queue)).consumerCount;
      } catch {
        return 0;
      } finally {
        await channel.close().catch(() => undefined);
      }
    };

    it('stores plain JSON bodies, persistent, with the metadata in headers, in the key shard or the work queue', async () => {
      const queue = open();
      const topic = topicFor('wire');
      await queue.publish<unknown>(topic, [{ key: 'user:7', payload: { a: [1, 'é'] } }, { payload: 'plain' }]);
      const names = queue.queuesOf(topic);
      const channel = await raw.createChannel();
      channel.on('error', () => undefined);
      // basic.get is refused on a single-active-consumer queue: read each through a consumer.
      const first = async (queue: string) => {
        let got: ConsumeMessage | undefined;
        const { consumerTag } = await channel.consume(queue, (m) => void (got ??= m ?? undefined), { noAck: true });
        await waitFor(`a message in ${queue}`, () => got);
        await channel.cancel(consumerTag);
        return got as ConsumeMessage;
      };
      const keyed = await first(names.shards[shardOf('user:7', 4)] as string);
      const unkeyed = await first(names.work);
      await channel.close();
      expect(JSON.parse(keyed.content.toString())).toEqual({ a: [1, 'é'] });
      expect(keyed.properties).toMatchObject({ deliveryMode: 2, contentType: 'application/json', messageId: expect.any(String) });
      expect(keyed.properties.headers).toMatchObject({ 'x-bp-key': 'user:7', 'x-bp-attempts': 0, 'x-bp-published-at': expect.any(Number) });
      expect(unkeyed.content.toString()).toBe('"plain"');
      expect(unkeyed.properties.headers?.['x-bp-key']).toBeUndefined();
    });

    it('declares a retry bucket only when a retry needs one, and again if it was deleted meanwhile', async () => {
      const exists = async (name: string) => {
        const channel = await raw.createChannel();
        channel.on('error', () => undefined);
        try {
          await channel.checkQueue(name);
          return true;
        } catch {
          return false;
        } finally {
          await channel.close().catch(() => undefined);
        }
      };
      // Every retry waits 40-80 ms: always the 64 ms bucket.
      const queue = open({ backoff: { baseMs: 80, capMs: 80 }, random: () => 0.5 });
      const topic = topicFor('lazy');
      const names = queue.queuesOf(topic);
      const bucket = names.retries.find((r) => r.ceilingMs === 64)!.queue;
      const seen: Record<number, number[]> = { 1: [], 2: [] };
      queue.consume<number>(topic, async (m) => {
        seen[m.payload]!.push(m.attempt);
        // The first message fails once; the second until its third attempt.
        if (m.attempt < m.payload + 1) throw new Error('not yet');
      });
      await queue.publish(topic, [{ payload: 1 }]);
      await waitFor('the retry delivered', () => seen[1]!.length === 2);
      expect(seen[1]).toEqual([1, 2]);
      const declared = await Promise.all(names.retries.map((r) => exists(r.queue)));
      expect(names.retries.filter((_, i) => declared[i]).map((r) => r.queue)).toEqual([bucket]);
      expect(await exists(names.work)).toBe(true);

      const channel = await raw.createChannel();
      await channel.deleteQueue(bucket);
      await channel.close();
      await queue.publish(topic, [{ payload: 2 }]);
      // The first move is refused (no queue): the message comes straight back as attempt 2, whose move declares the bucket again.
      await waitFor('the second message handled on its third attempt', () => seen[2]!.length === 3, { timeoutMs: 20_000 });
      expect(seen[2]).toEqual([1, 2, 3]);
      expect(await exists(bucket)).toBe(true);
    });

    it('rejects a publish the broker cannot route (queue deleted under it) instead of losing it', async () => {
      const queue = open();
      const topic = topicFor('gone');
      await queue.publish(topic, [{ payload: 1 }]);
      const channel = await raw.createChannel();
      await channel.deleteQueue(queue.queuesOf(topic).work);
      await channel.close();
      await expect(queue.publish(topic, [{ payload: 2 }])).rejects.toBeInstanceOf(PublishRefusedError);
    });

    it('rejects publish and ping with ServiceUnavailableError when the broker cannot be reached in time', async () => {
      const queue = open({ url: 'amqp://guest:guest@127.0.0.1:1', publishTimeoutMs: 300 });
      const started = Date.now();
      await expect(queue.publish(topicFor('down'), [{ payload: 1 }])).rejects.toBeInstanceOf(ServiceUnavailableError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      await expect(queue.ping()).rejects.toBeInstanceOf(ServiceUnavailableError);
    });

    it('hands a key shard to a waiting subscription when the active one stops, keeping key order', async () => {
      const [a, b] = [open(), open()];
      const topic = topicFor('failover');
      const byA: number[] = [];
      const byB: number[] = [];
      const all: QueueMessage<{ n: number }>[] = [];
      const handler = (into: number[]) => async (m: QueueMessage<{ n: number }>) => {
        into.push(m.payload.n);
        all.push(m);
        await sleep(1);
      };
      const first = a.consume<{ n: number }>(topic, handler(byA), { concurrency: 4 });
      // a registers on every shard before b does, so a is their single active consumer.
      const shards = a.queuesOf(topic).shards;
      await waitFor('a on every shard', async () => (await Promise.all(shards.map(consumersOn))).every((c) => c === 1));
      b.consume<{ n: number }>(topic, handler(byB), { concurrency: 4 });
      // A single-active-consumer queue counts only its active consumer; the work queue counts b too.
      await waitFor('b consuming', async () => (await consumersOn(a.queuesOf(topic).work)) === 2);
      await a.publish(topic, Array.from({ length: 200 }, (_, n) => ({ key: `k${n % 3}`, payload: { n } })));
      await waitFor('a to handle some', () => byA.length >= 20);
      await first.stop();
      const afterStop = byA.length;
      await waitFor('every message handled', () => new Set(all.map((m) => m.payload.n)).size === 200, { timeoutMs: 20_000 });
      expect(byA.length).toBe(afterStop);
      expect(byB.length).toBeGreaterThan(0);
      for (let k = 0; k < 3; k++) {
        const firsts = [...new Set(all.filter((m) => m.key === `k${k}`).map((m) => m.payload.n))];
        expect(firsts).toEqual([...firsts].sort((x, y) => x - y));
      }
    });

    it('dead-letters a body that is not JSON at once, and lists what the broker dead-lettered itself', async () => {
      const queue = open({ deliveryLimit: 4 });
      const topic = topicFor('foreign');
      const names = queue.queuesOf(topic);
      const handled: unknown[] = [];
      queue.consume(topic, async (m) => void handled.push(m.payload));
      await waitFor('the topology', async () => (await queue.stats(topic)).ready === 0 && (await queue.ping(), true));
      await sleep(100);
      const channel = await raw.createConfirmChannel();
      channel.sendToQueue(names.work, Buffer.from('not json'), { messageId: 'foreign-1', persistent: true });
      await channel.waitForConfirms();
      await waitFor('the dead letter', async () => (await queue.stats(topic)).deadLettered === 1);
      const [dead] = await queue.listDeadLetters(topic);
      expect(dead).toMatchObject({ id: 'foreign-1', attempts: 1, payload: 'not json', lastError: expect.stringContaining('not JSON') });
      expect(handled).toEqual([]);

      // A consumer that is not ours rejects a message until the broker's delivery limit moves it.
      const other = topicFor('limit');
      await queue.publish(other, [{ payload: { n: 1 } }]);
      const rejecter = await raw.createChannel();
      await rejecter.consume(queue.queuesOf(other).work, (m) => m && rejecter.reject(m, true));
      await waitFor('the broker to dead-letter it', async () => (await queue.stats(other)).deadLettered === 1);
      await rejecter.close();
      const [limited] = await queue.listDeadLetters<{ n: number }>(other);
      expect(limited).toMatchObject({ payload: { n: 1 }, lastError: expect.stringContaining('delivery_limit') });
      const replayed: number[] = [];
      queue.consume<{ n: number }>(other, async (m) => void replayed.push(m.attempt));
      expect(await queue.replayDeadLetters(other)).toBe(1);
      await waitFor('the replay', () => replayed.length === 1);
      expect(replayed).toEqual([1]);
    });

    const rabbitmqctl = spawnSync('rabbitmqctl', ['--version'], { timeout: 20_000 }).status === 0;
    it.skipIf(!rabbitmqctl)('resumes after the broker closes the connection (rabbitmqctl close_connection)', async () => {
      const name = `${RUN_PREFIX}-forced`;
      const queue = open({ connectionOptions: { connectionName: name } });
      const topic = topicFor('forced');
      const got: number[] = [];
      queue.consume<{ n: number }>(topic, async (m) => void got.push(m.payload.n));
      await queue.publish(topic, [{ key: 'k', payload: { n: 1 } }]);
      await waitFor('the first message', () => got.length === 1);
      const listed = spawnSync('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '--quiet', '--no-table-headers'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      const line = listed.stdout.split('\n').find((l) => l.includes(`"${name}"`));
      expect(line).toBeDefined();
      const pid = line!.split('\t')[0]!;
      let downs = 0;
      queue.connection.onDown(() => downs++);
      expect(spawnSync('rabbitmqctl', ['close_connection', pid, 'test: forced close'], { timeout: 30_000 }).status).toBe(0);
      await waitFor('the connection loss', () => downs === 1, { timeoutMs: 15_000 });
      await queue.publish(topic, [{ key: 'k', payload: { n: 2 } }]);
      await waitFor('the message after the reconnection', () => got.includes(2), { timeoutMs: 15_000 });
      expect(got).toEqual([1, 2]);
    });
  });
});
