import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/index.js';
import { runServiceRegistryContract } from '../discovery.contract.js';
import { MemoryRegistryStore, MemoryServiceRegistry } from './memory-registry.js';

const store = new MemoryRegistryStore();
runServiceRegistryContract('MemoryServiceRegistry', { open: async () => new MemoryServiceRegistry({ store }) });

describe('MemoryServiceRegistry', () => {
  it('expires announcements by its clock', async () => {
    const clock = new ManualClock();
    const registry = new MemoryServiceRegistry({ clock });
    await registry.register('api', 'a:1', { ttlMs: 1_000 });
    expect(await registry.instances('api')).toEqual(['a:1']);
    clock.advance(1_001);
    expect(await registry.instances('api')).toEqual([]);
    await registry.close();
  });
});
