import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICES, shouldRun } from '../../../../test/helpers/services.js';
import { runPubSubContract } from '../pubsub.contract.js';
import { RedisPubSub } from './redis-pubsub.js';

// Each contract bus is a prefix of its own: channels of parallel runs and tests never meet.
const RUN = `ps-test:${process.pid}:${Date.now().toString(36)}:`;

describe.runIf(await shouldRun('redis'))('RedisPubSub', () => {
  let admin: Redis;
  beforeAll(async () => {
    admin = new Redis(SERVICES.redis, { maxRetriesPerRequest: 2 });
    await admin.ping();
  });
  afterAll(async () => {
    await admin.quit();
  });

  runPubSubContract('RedisPubSub', { open: async (bus) => new RedisPubSub(SERVICES.redis, { prefix: `${RUN}${bus}:` }) });

  it('publishes on prefix + channel, readable by any Redis client', async () => {
    const prefix = `${RUN}raw:`;
    const bus = new RedisPubSub(SERVICES.redis, { prefix });
    const listener = admin.duplicate();
    try {
      const received = new Promise<[string, string]>((resolve) => listener.on('message', (channel: string, text: string) => resolve([channel, text])));
      await listener.subscribe(`${prefix}user:1`);
      await bus.publish('user:1', { type: 'tweet', data: { id: '1' } });
      expect(await received).toEqual([`${prefix}user:1`, '{"type":"tweet","data":{"id":"1"}}']);
    } finally {
      await listener.quit();
      await bus.close();
    }
  });

  it('subscribes again after the server drops its connection', async () => {
    const name = `ps-test-${process.pid}-${Date.now().toString(36)}`;
    const bus = new RedisPubSub(SERVICES.redis, { prefix: `${RUN}reconnect:`, redisOptions: { connectionName: name } });
    try {
      const got: unknown[] = [];
      bus.subscribe('ch', (m) => got.push(m));
      await bus.ready();
      await bus.publish('ch', 'before');
      // Both connections carry the name; the subscriber is the one with a subscription.
      const clients = (await admin.client('LIST')) as string;
      const line = clients.split('\n').find((l) => l.includes(`name=${name} `) && /\bsub=1\b/.test(l));
      expect(line).toBeDefined();
      await admin.client('KILL', 'ID', /\bid=(\d+)/.exec(line!)![1]!);
      const deadline = Date.now() + 10_000;
      // Published until heard: the subscriber needs a moment to reconnect and subscribe again.
      while (!got.includes('after') && Date.now() < deadline) {
        await bus.publish('ch', 'after');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(got).toContain('before');
      expect(got).toContain('after');
    } finally {
      await bus.close();
    }
  });
});
