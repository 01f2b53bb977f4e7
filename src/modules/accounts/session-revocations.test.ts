import { afterEach, describe, expect, it } from 'vitest';
import { shouldRun, SERVICES } from '../../../test/helpers/services.js';
import { ManualClock } from '../../platform/clock/index.js';
import type { PubSubPort } from '../../platform/pubsub/index.js';
import { MemoryPubSub } from '../../platform/pubsub/memory/memory-pubsub.js';
import { RedisPubSub } from '../../platform/pubsub/redis/redis-pubsub.js';
import { SessionRevocations } from './session-revocations.js';

const until = async (check: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return check();
};

const redis = await shouldRun('redis');
const buses: PubSubPort[] = [];
afterEach(async () => {
  for (const bus of buses.splice(0)) await bus.close();
});

describe('SessionRevocations', () => {
  it('remembers a revocation for a token lifetime, then forgets it', async () => {
    const clock = new ManualClock(1_000_000);
    const list = new SessionRevocations({ clock, rememberMs: 60_000 });
    await list.start(['loaded-at-start']);
    expect(list.isRevoked('loaded-at-start')).toBe(true);
    await list.revoke('s1');
    expect(list.isRevoked('s1')).toBe(true);
    expect(list.isRevoked('s2')).toBe(false);
    clock.advance(60_001);
    expect(list.isRevoked('s1')).toBe(false);
    await list.revoke('s3');
    expect(list.size).toBe(1);
  });

  const crossProcess = (name: string, open: (prefix: string) => PubSubPort) =>
    it(`reaches another process's list and listeners within seconds (${name})`, async () => {
      const prefix = `revocations-test:${process.pid}:${Date.now().toString(36)}:`;
      const [busA, busB] = [open(prefix), open(prefix)];
      buses.push(busA, busB);
      const clock = new ManualClock(Date.now());
      const a = new SessionRevocations({ bus: busA, clock, rememberMs: 60_000 });
      const b = new SessionRevocations({ bus: busB, clock, rememberMs: 60_000 });
      await Promise.all([a.start([]), b.start([])]);
      await Promise.all([busA.ready(), busB.ready()]);
      const heard: string[] = [];
      b.onRevoked((sid) => heard.push(sid));
      await a.revoke('family-1');
      expect(a.isRevoked('family-1')).toBe(true);
      expect(await until(() => b.isRevoked('family-1'))).toBe(true);
      expect(heard).toEqual(['family-1']);
      a.close();
      b.close();
    });

  crossProcess('in-process bus', (prefix) => new MemoryPubSub({ namespace: prefix }));
  describe.runIf(redis)('over Redis', () => {
    crossProcess('Redis', (prefix) => new RedisPubSub(SERVICES.redis, { prefix }));
  });
});
