import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { SERVICES, shouldRun } from '../../../../test/helpers/services.js';
import { redisFixture } from '../../redis/testing/redis-keys.js';
import { runPresenceContract } from '../presence.contract.js';
import { RedisPresenceRegistry } from './redis-presence.js';

describe.runIf(await shouldRun('redis'))('RedisPresenceRegistry', () => {
  const fixture = redisFixture('presence-test');
  let admin!: Redis;
  fixture.open((redis) => (admin = redis));
  // One prefix for the contract: its registries share the state, as processes on one Redis do.
  const prefix = fixture.nextPrefix();
  runPresenceContract('RedisPresenceRegistry', { create: async () => new RedisPresenceRegistry(admin, { prefix }) });

  it('keeps one small hash per user: node → expiry on the server clock, last seen, and a retention ttl', async () => {
    const own = fixture.nextPrefix();
    const registry = new RedisPresenceRegistry(admin, { prefix: own, retainMs: 3_600_000 });
    await registry.connect('42', 'node-a', 10_000);
    const [seconds] = await admin.time();
    const hash = await admin.hgetall(`${own}42`);
    expect(Object.keys(hash)).toEqual(['node-a']);
    expect(Number(hash['node-a']) - Number(seconds) * 1000).toBeGreaterThan(8_000);
    expect(await admin.pttl(`${own}42`)).toBeGreaterThan(3_000_000);
    await registry.disconnect('42', 'node-a');
    expect(Object.keys(await admin.hgetall(`${own}42`))).toEqual(['@seen']);
    await expect(registry.connect('42', '@seen', 1_000)).rejects.toThrow(RangeError);
  });

  it('answers nodesOf for a batch of users in one command', async () => {
    const own = fixture.nextPrefix();
    const client = new Redis(SERVICES.redis, { maxRetriesPerRequest: 2 });
    const registry = new RedisPresenceRegistry(client, { prefix: own });
    const users = Array.from({ length: 500 }, (_, i) => `u${i}`);
    await registry.refresh('node-a', users.slice(0, 250), 60_000);
    // Counted at the client: the server's own counters are shared with whatever else uses this Redis.
    const sent: string[] = [];
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((command: { name: string }) => (sent.push(command.name), send(command as never))) as typeof client.sendCommand;
    const found = await registry.nodesOf(users);
    expect(found.size).toBe(250);
    expect(sent).toEqual(['evalsha']);
    client.disconnect();
  });
});
