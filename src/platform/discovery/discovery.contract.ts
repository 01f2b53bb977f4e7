import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceRegistry } from './discovery.port.js';

let serial = 0;
const unique = (what: string) => `${what}-${process.pid}-${Date.now().toString(36)}-${++serial}`;

/** What every registry promises; each adapter's test runs it. `open` gives registries sharing one store. */
export function runServiceRegistryContract(name: string, factory: { open(): Promise<ServiceRegistry> }): void {
  describe(`${name}: service registry contract`, () => {
    const opened: ServiceRegistry[] = [];
    const open = async () => {
      const r = await factory.open();
      opened.push(r);
      return r;
    };
    afterEach(async () => {
      for (const r of opened.splice(0)) await r.close();
    });

    it('lists what was announced, to every reader, and forgets what was withdrawn', async () => {
      const service = unique('api');
      const a = await open();
      const reader = await open();
      expect(await reader.instances(service)).toEqual([]);
      const one = await a.register(service, '10.0.0.2:8080', { ttlMs: 5_000 });
      await a.register(service, '10.0.0.1:8080', { ttlMs: 5_000 });
      expect(await reader.instances(service)).toEqual(['10.0.0.1:8080', '10.0.0.2:8080']);
      await one.withdraw();
      await one.withdraw();
      expect(await reader.instances(service)).toEqual(['10.0.0.1:8080']);
      expect(await reader.instances(unique('other'))).toEqual([]);
    });

    it('keeps a live instance by renewing it, and drops one that stopped renewing once its ttl passes', async () => {
      const service = unique('api');
      const live = await open();
      const dying = await open();
      await live.register(service, '10.0.0.1:1', { ttlMs: 300 });
      await dying.register(service, '10.0.0.2:1', { ttlMs: 300 });
      // A crash: no withdrawal, no more renewals.
      await dying.close();
      const deadline = Date.now() + 3_000;
      let seen = await live.instances(service);
      while (seen.length !== 1 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        seen = await live.instances(service);
      }
      expect(seen).toEqual(['10.0.0.1:1']);
      // Well past several ttls, the renewed one is still there.
      await new Promise((r) => setTimeout(r, 700));
      expect(await live.instances(service)).toEqual(['10.0.0.1:1']);
    });
  });
}
