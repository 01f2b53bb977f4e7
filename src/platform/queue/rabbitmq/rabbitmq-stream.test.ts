import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { SERVICES, shouldRun } from '../../../../test/helpers/services.js';
import { sleep, waitFor } from '../queue.contract.js';
import { RabbitMqConnection } from './rabbitmq-connection.js';
import { RabbitMqEventStream, type StreamRecord } from './rabbitmq-stream.js';
import { RUN_PREFIX } from './testing/rabbitmq-test-kit.js';

describe.runIf(await shouldRun('rabbitmq'))('RabbitMqEventStream', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });
  let streams = 0;

  function open(): { connection: RabbitMqConnection; stream: RabbitMqEventStream } {
    const connection = new RabbitMqConnection({ url: SERVICES.rabbitmq, connectionName: `${RUN_PREFIX}-stream`, reconnect: { initialMs: 50, maxMs: 300 } });
    const name = `${RUN_PREFIX}.clicks.stream.${++streams}`;
    const stream = new RabbitMqEventStream(connection, { name });
    cleanups.push(async () => {
      const channel = await (await connection.ready(2_000)).createChannel();
      await channel.deleteQueue(name);
      await connection.close();
    });
    return { connection, stream };
  }

  it('keeps every record for any number of readers, each from the offset it chooses', async () => {
    const { stream } = open();
    await stream.append(Array.from({ length: 100 }, (_, n) => ({ n })));
    const all: StreamRecord<{ n: number }>[] = [];
    const reader = stream.read<{ n: number }>('first', async (r) => void all.push(r));
    await waitFor('the whole stream', () => all.length === 100);
    expect(all.map((r) => r.payload.n)).toEqual(Array.from({ length: 100 }, (_, n) => n));
    const offsets = all.map((r) => r.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(offsets).size).toBe(100);

    // A second reader replays from the middle; the first one still gets what is appended later.
    const replay: number[] = [];
    const replayer = stream.read<{ n: number }>(all[50]!.offset, async (r) => void replay.push(r.payload.n));
    const fresh: number[] = [];
    const tail = stream.read<{ n: number }>('next', async (r) => void fresh.push(r.payload.n));
    await waitFor('the replay', () => replay.length === 50);
    expect(replay).toEqual(Array.from({ length: 50 }, (_, i) => 50 + i));
    // A 'next' reader gets only what is appended once it is attached: append until it hears something.
    let appended = 0;
    for (let i = 0; i < 200 && fresh.length === 0; i++) {
      await stream.append([{ n: 100 + appended++ }]);
      await sleep(25);
    }
    await waitFor('the new records everywhere', () => all.length === 100 + appended && replay.length === 50 + appended && fresh.at(-1) === 99 + appended);
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh).toEqual(Array.from({ length: fresh.length }, (_, i) => 100 + appended - fresh.length + i));
    await Promise.all([reader.stop(), replayer.stop(), tail.stop()]);
  });

  it('resumes after a lost connection from the record after the last one handled', async () => {
    const { connection, stream } = open();
    await stream.append(Array.from({ length: 50 }, (_, n) => ({ n })));
    const got: number[] = [];
    const reader = stream.read<{ n: number }>('first', async (r) => {
      got.push(r.payload.n);
      if (got.length === 20) {
        const model = connection.current;
        (model?.connection as unknown as { stream: Duplex }).stream.destroy(new Error('simulated network failure'));
      }
    }, { prefetch: 5 });
    await waitFor('the whole stream after the reconnection', () => got.length >= 50, { timeoutMs: 15_000 });
    await sleep(100);
    expect(got).toEqual(Array.from({ length: 50 }, (_, n) => n));
    await reader.stop();
  });
});
