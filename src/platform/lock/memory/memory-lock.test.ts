import { expect, it } from 'vitest';
import { ManualClock } from '../../clock/index.js';
import { runLockContract } from '../lock.contract.js';
import { MemoryFencedStore } from './memory-fenced-store.js';
import { MemoryLock } from './memory-lock.js';

// In process, the clients of one deployment are one instance.
const locks = new Map<string, MemoryLock>();
const stores = new Map<string, MemoryFencedStore>();

runLockContract('MemoryLock', {
  openLock: async (ns) => locks.get(ns) ?? (locks.set(ns, new MemoryLock()), locks.get(ns)!),
  openFencedStore: async (ns) => stores.get(ns) ?? (stores.set(ns, new MemoryFencedStore()), stores.get(ns)!),
});

it('expires leases by its clock, to the millisecond', async () => {
  const clock = new ManualClock();
  const lock = new MemoryLock({ clock });
  const held = await lock.tryAcquire('l', 1_000);
  clock.advance(999);
  expect(await lock.tryAcquire('l', 1_000)).toBeUndefined();
  expect(await lock.extend(held!, 1_000)).toBe(true);
  clock.advance(999);
  expect(await lock.tryAcquire('l', 1_000)).toBeUndefined();
  clock.advance(1);
  expect(await lock.extend(held!, 1_000)).toBe(false);
  expect((await lock.tryAcquire('l', 1_000))!.fence).toBe(held!.fence + 1);
});

it('forgets expired holders it is not asked about again, and refuses everything once closed', async () => {
  const clock = new ManualClock();
  const lock = new MemoryLock({ clock });
  for (let i = 0; i < 1_000; i++) await lock.tryAcquire(`once-${i}`, 10);
  clock.advance(10);
  for (let i = 0; i < 1_000; i++) await lock.tryAcquire(`again-${i}`, 1_000_000);
  // A sweep came within as many acquisitions as the last one left entries: the 1,000 expired went.
  expect(lock.size).toBe(1_000);
  expect(await lock.tryAcquire('once-1', 10)).toBeDefined();
  await lock.close();
  await expect(lock.tryAcquire('x', 10)).rejects.toThrow();
  await expect(lock.ping()).rejects.toThrow();
});
