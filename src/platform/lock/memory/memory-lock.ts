import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../../clock/index.js';
import { checkName, checkTtl } from '../lock.checks.js';
import type { Lease, LockPort } from '../lock.port.js';

export interface MemoryLockOptions {
  /** Reads lease expiry (default the system clock); tests move a ManualClock. */
  clock?: Clock;
}

/**
 * The embedded lock: a map from name to holder, excluding only the callers that share this
 * instance (one per process: the worker thread does not see it). One fence counter
 * serves every lock: increasing over all of them, it increases for each, and needs no memory per
 * name. Expired holders are swept now and then, so the map holds about the locks in use.
 */
export class MemoryLock implements LockPort {
  readonly #clock: Clock;
  readonly #held = new Map<string, { token: string; expiresAt: number }>();
  #fence = 0;
  #acquiredSinceSweep = 0;
  #sweepAfter = 16;
  #closed = false;

  constructor(options: MemoryLockOptions = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  async tryAcquire(name: string, ttlMs: number): Promise<Lease | undefined> {
    this.#open();
    checkName(name);
    checkTtl(ttlMs);
    const now = this.#clock.now();
    const holder = this.#held.get(name);
    if (holder !== undefined && holder.expiresAt > now) return undefined;
    this.#sweep(now);
    const lease: Lease = { name, token: randomBytes(16).toString('hex'), fence: ++this.#fence };
    this.#held.set(name, { token: lease.token, expiresAt: now + ttlMs });
    return lease;
  }

  async release(lease: Lease): Promise<boolean> {
    this.#open();
    if (!this.#holds(lease)) return false;
    this.#held.delete(lease.name);
    return true;
  }

  async extend(lease: Lease, ttlMs: number): Promise<boolean> {
    this.#open();
    checkTtl(ttlMs);
    if (!this.#holds(lease)) return false;
    this.#held.set(lease.name, { token: lease.token, expiresAt: this.#clock.now() + ttlMs });
    return true;
  }

  /** Holders in memory, expired ones not yet swept included. */
  get size(): number {
    return this.#held.size;
  }

  async ping(): Promise<void> {
    this.#open();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#held.clear();
  }

  #holds(lease: Lease): boolean {
    const holder = this.#held.get(checkName(lease.name));
    return holder !== undefined && holder.token === lease.token && holder.expiresAt > this.#clock.now();
  }

  /**
   * Drops expired holders once as many acquisitions happened since the last sweep as it left
   * entries: a sweep then visits at most twice that many, amortised O(1) per acquisition.
   */
  #sweep(now: number): void {
    if (++this.#acquiredSinceSweep < this.#sweepAfter) return;
    this.#acquiredSinceSweep = 0;
    for (const [name, holder] of this.#held) if (holder.expiresAt <= now) this.#held.delete(name);
    this.#sweepAfter = Math.max(16, this.#held.size);
  }

  #open(): void {
    if (this.#closed) throw new Error('lock is closed');
  }
}
