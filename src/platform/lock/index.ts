/**
 * Distributed locks with fencing tokens: the ports and the in-process adapters. The Redis adapters
 * are exported from ./redis/index.ts, for the composition root alone.
 */
export type { FencedStore, FencedValue, Lease, LockPort } from './lock.port.js';
export { MemoryLock, type MemoryLockOptions } from './memory/memory-lock.js';
export { MemoryFencedStore } from './memory/memory-fenced-store.js';
