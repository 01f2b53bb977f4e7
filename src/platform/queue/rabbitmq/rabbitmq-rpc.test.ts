import { afterEach, describe, expect, it } from 'vitest';
import { SERVICES, shouldRun } from '../../../../test/helpers/services.js';
import { RabbitMqConnection } from './rabbitmq-connection.js';
import { RabbitMqRpc, RpcError } from './rabbitmq-rpc.js';
import { RUN_PREFIX } from './testing/rabbitmq-test-kit.js';

describe.runIf(await shouldRun('rabbitmq'))('RabbitMqRpc', () => {
  const cleanups: (() => Promise<void>)[] = [];
  let names = 0;
  const unique = (label: string) => `${label}.${++names}`;

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  function open(tag: string): { connection: RabbitMqConnection; rpc: RabbitMqRpc } {
    const connection = new RabbitMqConnection({ url: SERVICES.rabbitmq, connectionName: `${RUN_PREFIX}-rpc-${tag}` });
    const rpc = new RabbitMqRpc(connection, { prefix: RUN_PREFIX, timeoutMs: 5_000 });
    cleanups.push(async () => {
      await rpc.close();
      await connection.close();
    });
    return { connection, rpc };
  }

  async function deleteQueue(connection: RabbitMqConnection, queue: string): Promise<void> {
    const channel = await (await connection.ready(2_000)).createChannel();
    await channel.deleteQueue(queue);
    await channel.close();
  }

  it('answers each request with its own reply, matched by correlation id, across competing servers', async () => {
    const server = open('server');
    const other = open('other');
    const client = open('client');
    const name = unique('double');
    const servedBy: string[] = [];
    server.rpc.serve<{ n: number }, { doubled: number }>(name, async ({ n }) => {
      servedBy.push('server');
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      return { doubled: 2 * n };
    }, { concurrency: 4 });
    other.rpc.serve<{ n: number }, { doubled: number }>(name, async ({ n }) => {
      servedBy.push('other');
      return { doubled: 2 * n };
    }, { concurrency: 4 });
    cleanups.push(() => deleteQueue(client.connection, client.rpc.queueOf(name)));
    // The servers declare the queue: wait until both consume.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const channel = await (await client.connection.ready(2_000)).createChannel();
      channel.on('error', () => undefined);
      const consumers = await channel.checkQueue(client.rpc.queueOf(name)).then((q) => q.consumerCount, () => 0);
      await channel.close().catch(() => undefined);
      if (consumers === 2) break;
      if (Date.now() > deadline) throw new Error('servers did not start');
      await new Promise((r) => setTimeout(r, 20));
    }

    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, n) => client.rpc.request<{ n: number }, { doubled: number }>(name, { n })),
    );
    expect(replies).toEqual(Array.from({ length: 40 }, (_, n) => ({ doubled: 2 * n })));
    expect(servedBy).toHaveLength(40);
    // The broker round-robins a queue over consumers with free prefetch: both served some.
    expect(new Set(servedBy)).toEqual(new Set(['server', 'other']));
  });

  it('carries a server error back as a remote RpcError, and times out without a server', async () => {
    const { connection, rpc } = open('errors');
    const name = unique('fails');
    const stop = rpc.serve(name, async () => {
      throw new Error('no such user');
    });
    cleanups.push(() => deleteQueue(connection, rpc.queueOf(name)));
    const deadline = Date.now() + 10_000;
    let error: unknown;
    // Until the server has declared its queue, the request comes back unroutable.
    while (Date.now() < deadline) {
      error = await rpc.request(name, {}).catch((e: unknown) => e);
      if (error instanceof RpcError && error.remote) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(error).toBeInstanceOf(RpcError);
    expect(error).toMatchObject({ message: 'no such user', remote: true });

    // The queue exists but nobody serves it: the request waits, then times out (and expires in the queue).
    await stop.stop();
    const started = Date.now();
    await expect(rpc.request(name, {}, { timeoutMs: 300 })).rejects.toMatchObject({ remote: false, message: expect.stringContaining('no reply') });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('fails fast when no server ever declared the queue', async () => {
    const { rpc } = open('nobody');
    await expect(rpc.request(unique('nobody'), {}, { timeoutMs: 5_000 })).rejects.toMatchObject({ message: expect.stringContaining('no server') });
  });
});
