import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../../test/helpers/poll.js';
import type { PresenceRegistry } from './presence.port.js';

/** Builds registries; those built by one factory share their state, as processes sharing one Redis do. */
export interface PresenceContractFactory {
  create(): Promise<PresenceRegistry>;
}

let serial = 0;
const unique = (what: string) => `${what}-${process.pid}-${Date.now().toString(36)}-${++serial}`;
/** Clocks of a registry (Redis: the server's) and of the test are the same machine's; this covers rounding. */
const SLACK_MS = 100;

/** What every presence registry promises; each adapter's test runs it. Expiry uses ttls of a few hundred ms. */
export function runPresenceContract(name: string, factory: PresenceContractFactory): void {
  describe(`${name} (presence contract)`, () => {
    const opened: PresenceRegistry[] = [];
    const create = async () => {
      const registry = await factory.create();
      opened.push(registry);
      return registry;
    };
    afterEach(async () => {
      for (const registry of opened.splice(0)) await registry.close();
    });

    it('lists the nodes each user is connected on, sorted, leaving out users on none', async () => {
      const registry = await create();
      const [ann, bob, cid] = [unique('ann'), unique('bob'), unique('cid')];
      const [n1, n2] = [unique('node-b'), unique('node-a')];
      expect(await registry.nodesOf([])).toEqual(new Map());
      expect(await registry.nodesOf([ann])).toEqual(new Map());
      await registry.connect(ann, n1, 60_000);
      await registry.connect(ann, n2, 60_000);
      await registry.connect(ann, n2, 60_000);
      await registry.connect(bob, n1, 60_000);
      expect(await registry.nodesOf([ann, bob, cid])).toEqual(
        new Map([
          [ann, [n1, n2].sort()],
          [bob, [n1]],
        ]),
      );
    });

    it('shows one registry what another one recorded (the processes of a deployment)', async () => {
      const [a, b] = [await create(), await create()];
      const [ann, node] = [unique('ann'), unique('node')];
      await a.connect(ann, node, 60_000);
      expect(await b.nodesOf([ann])).toEqual(new Map([[ann, [node]]]));
      await b.disconnect(ann, node);
      expect(await a.nodesOf([ann])).toEqual(new Map());
    });

    it('disconnects one node at a time, and records last seen only when the last connection goes', async () => {
      const registry = await create();
      const [ann, other] = [unique('ann'), unique('other')];
      const [n1, n2] = [unique('n1'), unique('n2')];
      await registry.connect(ann, n1, 60_000);
      await registry.connect(ann, n2, 60_000);
      await registry.disconnect(ann, n1);
      expect(await registry.nodesOf([ann])).toEqual(new Map([[ann, [n2]]]));
      expect(await registry.lastSeen([ann])).toEqual(new Map());
      const before = Date.now();
      await registry.disconnect(ann, n2);
      const after = Date.now();
      expect(await registry.nodesOf([ann])).toEqual(new Map());
      const seen = (await registry.lastSeen([ann, other])).get(ann);
      expect(seen).toBeInstanceOf(Date);
      expect(seen!.getTime()).toBeGreaterThanOrEqual(before - SLACK_MS);
      expect(seen!.getTime()).toBeLessThanOrEqual(after + SLACK_MS);
      // Nothing to disconnect: no effect, and no last seen for someone never connected.
      await registry.disconnect(ann, n2);
      await registry.disconnect(other, n1);
      expect([...(await registry.lastSeen([ann, other])).keys()]).toEqual([ann]);
      // Back online: listed again, the previous last seen kept until this session ends.
      await registry.connect(ann, n1, 60_000);
      expect(await registry.nodesOf([ann])).toEqual(new Map([[ann, [n1]]]));
      expect((await registry.lastSeen([ann])).get(ann)).toEqual(seen);
    });

    it("expires a node's users once it stops refreshing, and records when they went", async () => {
      const registry = await create();
      const [gone, stays] = [unique('gone'), unique('stays')];
      const [dead, live] = [unique('dead'), unique('live')];
      const connectedAt = Date.now();
      await registry.connect(gone, dead, 300);
      await registry.connect(stays, live, 300);
      await registry.connect(stays, dead, 300);
      expect(await registry.nodesOf([gone, stays])).toEqual(
        new Map([
          [gone, [dead]],
          [stays, [dead, live].sort()],
        ]),
      );
      // `live` refreshes (as a running node does every ttl/3); `dead` was SIGKILLed and never does.
      await until(
        async () => {
          await registry.refresh(live, [stays], 300);
          return !(await registry.nodesOf([gone])).has(gone);
        },
        'the dead node’s user expires',
        { timeoutMs: 5_000, intervalMs: 50 },
      );
      expect(await registry.nodesOf([gone, stays])).toEqual(new Map([[stays, [live]]]));
      const seen = (await registry.lastSeen([gone, stays])).get(gone);
      expect(seen!.getTime()).toBeGreaterThanOrEqual(connectedAt + 300 - SLACK_MS);
      expect(seen!.getTime()).toBeLessThanOrEqual(Date.now() + SLACK_MS);
      // `stays` lost one node but never all of them: not last seen.
      expect((await registry.lastSeen([stays])).has(stays)).toBe(false);
    });

    it('records the last seen of an expired user without a nodesOf in between', async () => {
      const registry = await create();
      const [ann, node] = [unique('ann'), unique('node')];
      const connectedAt = Date.now();
      await registry.connect(ann, node, 200);
      await until(async () => (await registry.lastSeen([ann])).has(ann), 'last seen after expiry', { timeoutMs: 5_000, intervalMs: 50 });
      expect((await registry.lastSeen([ann])).get(ann)!.getTime()).toBeGreaterThanOrEqual(connectedAt + 200 - SLACK_MS);
      expect(await registry.nodesOf([ann])).toEqual(new Map());
    });

    it('renews with refresh, and brings back a user whose entry expired while the node still holds it', async () => {
      const registry = await create();
      const [kept, lapsed, node] = [unique('kept'), unique('lapsed'), unique('node')];
      await registry.connect(kept, node, 200);
      await registry.connect(lapsed, node, 200);
      await registry.refresh(node, [kept], 60_000);
      await until(async () => !(await registry.nodesOf([lapsed])).has(lapsed), 'the unrefreshed user expires', { timeoutMs: 5_000, intervalMs: 50 });
      expect(await registry.nodesOf([kept, lapsed])).toEqual(new Map([[kept, [node]]]));
      // The node was paused (a long GC, a Redis failover) but still holds the socket: the next renewal restores it.
      await registry.refresh(node, [kept, lapsed], 60_000);
      await registry.refresh(node, [], 60_000);
      expect(await registry.nodesOf([kept, lapsed])).toEqual(
        new Map([
          [kept, [node]],
          [lapsed, [node]],
        ]),
      );
    });

    it('answers for many users at once', async () => {
      const registry = await create();
      const node = unique('node');
      const users = Array.from({ length: 600 }, (_, i) => unique(`u${i}`));
      await registry.refresh(node, users.slice(0, 300), 60_000);
      const found = await registry.nodesOf(users);
      expect(found.size).toBe(300);
      expect(users.slice(0, 300).every((u) => found.get(u)?.[0] === node)).toBe(true);
    });
  });
}
