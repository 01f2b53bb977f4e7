import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/index.js';
import { runPresenceContract } from '../presence.contract.js';
import { MemoryPresenceRegistry, MemoryPresenceStore } from './memory-presence.js';

const store = new MemoryPresenceStore();
runPresenceContract('MemoryPresenceRegistry', { create: async () => new MemoryPresenceRegistry({ store }) });

describe('MemoryPresenceRegistry', () => {
  it('expires connections by its clock, last seen at the expiry', async () => {
    const clock = new ManualClock();
    const registry = new MemoryPresenceRegistry({ clock });
    await registry.connect('u', 'n', 1_000);
    clock.advance(999);
    expect(await registry.nodesOf(['u'])).toEqual(new Map([['u', ['n']]]));
    clock.advance(1);
    expect(await registry.nodesOf(['u'])).toEqual(new Map());
    expect(await registry.lastSeen(['u'])).toEqual(new Map([['u', new Date(clock.now())]]));
  });

  it('shares a store by name: one per deployment (data directory) in a process', () => {
    expect(MemoryPresenceStore.named('a')).toBe(MemoryPresenceStore.named('a'));
    expect(MemoryPresenceStore.named('a')).not.toBe(MemoryPresenceStore.named('b'));
  });
});
