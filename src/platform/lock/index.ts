/**
 * Distributed locks with fencing tokens: the ports and the in-process adapters. The Redis adapters
 * are exported from ./redis/index.ts, for the composition code alone.
 *
 * A demonstrated building block: no product path takes a lock today (the feed's reshard fences
 * writes with row locks in the databases it moves, and every consumer is idempotent instead). It is
 * kept, with its contract suite (lock.contract.ts, run on both adapters) and its README entry, for
 * the designs that need mutual exclusion across processes (docs/architecture.md, "Catalogue").
 */
export type { FencedStore, FencedValue, Lease, LockPort } from './lock.port.js';
export { MemoryLock, type MemoryLockOptions } from './memory/memory-lock.js';
export { MemoryFencedStore } from './memory/memory-fenced-store.js';
