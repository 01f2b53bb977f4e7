import { afterEach, describe, expect, it } from 'vitest';
import { SERVICES, shouldRun } from '../../../test/helpers/services.js';
import { startTcpProxy, type TcpProxy } from '../../../test/helpers/tcp-proxy.js';
import { RedisClients, type RedisConnectionState } from './redis-clients.js';
import { until } from '../../../test/helpers/poll.js';


describe.runIf(await shouldRun('redis'))('RedisClients', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const track = (proxy: TcpProxy) => cleanups.push(() => proxy.close());

  it('names each client, reports up and a loss once per outage, and reconnects', async () => {
    const proxy = await startTcpProxy(SERVICES.redis);
    track(proxy);
    const events: [string, RedisConnectionState][] = [];
    const clients = new RedisClients({ url: proxy.via(SERVICES.redis), name: `bpt-${process.pid}`, onState: (client, state) => events.push([client, state]) });
    cleanups.push(() => clients.close());
    const cache = clients.open('cache', { retryStrategy: () => 50 });
    await until(() => cache.status === 'ready', 'ready');
    expect(await cache.client('GETNAME')).toBe(`bpt-${process.pid}:cache`);
    expect(events).toEqual([['cache', 'up']]);

    proxy.cut();
    await until(() => events.length >= 2, 'the loss reported');
    // Several failed attempts while cut: still one loss.
    await new Promise((r) => setTimeout(r, 300));
    expect(events).toEqual([['cache', 'up'], ['cache', 'lost']]);
    await expect(cache.ping()).rejects.toThrow();

    proxy.heal();
    await until(() => events.length >= 3, 'back up');
    expect(events[2]).toEqual(['cache', 'up']);
    expect(await cache.ping()).toBe('PONG');
  });

  it('reports nothing for a close it was asked for, and close() quits every client once', async () => {
    const events: [string, RedisConnectionState][] = [];
    const clients = new RedisClients({ url: SERVICES.redis, onState: (client, state) => events.push([client, state]) });
    const a = clients.open('a');
    const b = clients.open('b');
    await until(() => a.status === 'ready' && b.status === 'ready', 'both ready');
    await a.quit();
    await clients.close();
    await clients.close();
    expect(a.status).toBe('end');
    await until(() => b.status === 'end', 'b ended');
    expect(events.filter(([, s]) => s === 'lost')).toEqual([]);
  });
});
