import { LRUCache } from 'lru-cache';
import type { Clock } from '../../clock/index.js';
import type { RateLimitDecision, RateLimitRule, RateLimitStore } from '../ratelimit.port.js';

/** A key's first lease, at most. */
const FIRST_LEASE = 16;

export interface LeasedRateLimitOptions {
  /** Most requests one lease takes from the shared store at once (a key's leases start at 16, or this when lower). */
  leaseSize: number;
  /** How long a lease (and a remembered look) may be spent; longer leases waste more when idle. */
  leaseTtlMs: number;
  clock: Clock;
  /** Keys with a lease or a look held, at most (least recently used dropped first). */
  maxKeys?: number;
}

interface Lease {
  /** Requests this process may still admit without asking. */
  tokens: number;
  /** Units taken from the shared store per lease for this key. */
  size: number;
  /** `leaseTtlMs` after the lease now being spent was taken (how fast it goes sets the size of the next). */
  expiresAt: number;
  /** The shared store's answer when the lease was taken: what headers report, less what was spent since. */
  base: RateLimitDecision;
}

/**
 * Local decisions over a shared store (Redis), reconciled in batches: a process takes a key's
 * quota in leases of up to `leaseSize` requests (one shared decision of that cost) and admits
 * requests from the lease synchronously, without a round trip. When a whole lease is not
 * available the request is decided by the shared store alone, exactly.
 *
 * The bounds, stated and tested (leased-ratelimit.store.test.ts):
 * - **No overshoot.** Every admitted request took a unit from the shared store (in a lease or
 *   alone), so across any number of processes no more are admitted than the rule allows.
 * - **Bounded undershoot.** A process asks for the next lease when half of one is spent, so it
 *   holds fewer than 1.5 × `leaseSize` unspent units per key, for at most `leaseTtlMs`, after which
 *   they are dropped unused: with N processes a key may be refused up to N × 1.5 × `leaseSize`
 *   requests early within that time.
 * - **Leases sized to the key's rate.** A key's first lease is 16 (or `leaseSize` when lower);
 *   one whose half is spent within a quarter of `leaseTtlMs`, or that runs dry before it expires,
 *   is followed by one twice as large, up to `leaseSize`: a busy key asks the shared store a few
 *   times a lease time instead of every 16 requests (whose round trips, slower than the requests
 *   spending the lease, sent most of them to the shared store), and a quiet one holds little.
 * - **Looks** (cost 0, the probe policies' "any left?") answer from a lease, else from the shared
 *   store's last answer for at most `leaseTtlMs` (asked again in the background after half of
 *   it): a key that runs out is refused within that time.
 * Rules whose answers depend on each request's timing are always decided by the shared store:
 * a leaky bucket that delays (nginx `delay` below `burst`), and rules too small for a lease of
 * two (a lease is at most an eighth of the quota).
 */
export class LeasedRateLimitStore implements RateLimitStore {
  readonly #shared: RateLimitStore;
  readonly #size: number;
  readonly #ttl: number;
  readonly #clock: Clock;
  readonly #leases: LRUCache<string, Lease>;
  readonly #looks: LRUCache<string, { decision: RateLimitDecision; expiresAt: number }>;
  /** Keys whose lease (or look) is being asked for: later requests wait for it. */
  readonly #pending = new Map<string, Promise<void>>();

  constructor(shared: RateLimitStore, options: LeasedRateLimitOptions) {
    if (!Number.isInteger(options.leaseSize) || options.leaseSize < 1) throw new RangeError(`leaseSize must be a positive integer, got ${options.leaseSize}`);
    this.#shared = shared;
    this.#size = options.leaseSize;
    this.#ttl = options.leaseTtlMs;
    this.#clock = options.clock;
    this.#leases = new LRUCache({ max: options.maxKeys ?? 100_000 });
    this.#looks = new LRUCache({ max: options.maxKeys ?? 100_000 });
  }

  /**
   * The decision from what this process holds, at once; undefined when it must ask the shared
   * store (no lease, or not enough in it): then `decide` answers.
   */
  tryDecideSync(rule: RateLimitRule, key: string, cost = 1): RateLimitDecision | undefined {
    const now = this.#clock.now();
    const lease = this.#leases.get(key);
    if (lease !== undefined && lease.expiresAt > now && lease.tokens >= cost) {
      lease.tokens -= cost;
      // Half spent: the next lease is asked for now, so that requests rarely find this one empty.
      if (lease.tokens * 2 <= lease.size && !this.#pending.has(key)) this.#refill(rule, key, lease, now);
      return { ...lease.base, allowed: true, remaining: lease.base.remaining + lease.tokens, retryAfterMs: 0, delayMs: 0 };
    }
    if (cost === 0) {
      const look = this.#looks.get(key);
      if (look !== undefined && look.expiresAt > now) {
        // Half its time gone: asked again in the background, so that looks rarely wait.
        if ((look.expiresAt - now) * 2 < this.#ttl && !this.#pending.has(key)) this.#lead(rule, key, 0).catch(() => undefined);
        return look.decision;
      }
    }
    return undefined;
  }

  async decide(rule: RateLimitRule, key: string, cost = 1): Promise<RateLimitDecision> {
    // Requests that find the lease spent at the same moment wait for one new lease, not one each;
    // one that has waited several times in vain asks alone, exactly.
    for (let waits = 0; waits < 8; waits++) {
      const local = this.tryDecideSync(rule, key, cost);
      if (local !== undefined) return local;
      const pending = this.#pending.get(key);
      if (pending === undefined) return this.#lead(rule, key, cost);
      await pending;
    }
    return this.#shared.decide(rule, key, cost);
  }

  /** Asks the shared store for this request, while the others with the same key wait. */
  #lead(rule: RateLimitRule, key: string, cost: number): Promise<RateLimitDecision> {
    const flight = this.#ask(rule, key, cost);
    // Settles after the key is free again, so that a waiter that wakes up finds the new lease or asks itself.
    const done: Promise<void> = flight.then(
      () => this.#release(key, done),
      () => this.#release(key, done),
    );
    this.#pending.set(key, done);
    return flight;
  }

  /** Adds a lease to one still running, in the background (nothing when the shared store refuses or fails). */
  #refill(rule: RateLimitRule, key: string, lease: Lease, now: number): void {
    // Half of it went within a quarter of the lease time: the next is twice the size.
    const takenAt = lease.expiresAt - this.#ttl;
    const size = (now - takenAt) * 4 < this.#ttl ? Math.min(lease.size * 2, this.#leaseSizeFor(rule)) : lease.size;
    const done: Promise<void> = this.#shared.decide(rule, key, size).then(
      (more) => {
        if (more.allowed && this.#leases.get(key) === lease) {
          lease.tokens += size;
          lease.size = size;
          lease.expiresAt = this.#clock.now() + this.#ttl;
          lease.base = more;
        }
        this.#release(key, done);
      },
      () => this.#release(key, done),
    );
    this.#pending.set(key, done);
  }

  #release(key: string, done: Promise<void>): void {
    if (this.#pending.get(key) === done) this.#pending.delete(key);
  }

  async #ask(rule: RateLimitRule, key: string, cost: number): Promise<RateLimitDecision> {
    if (cost === 0) {
      const decision = await this.#shared.decide(rule, key, 0);
      this.#looks.set(key, { decision, expiresAt: this.#clock.now() + this.#ttl });
      return decision;
    }
    const most = this.#leaseSizeFor(rule);
    const previous = this.#leases.get(key);
    // A lease that ran dry before its time is followed by one twice as large; after a quiet spell, a key starts again small.
    const size = previous !== undefined && previous.expiresAt > this.#clock.now() ? Math.min(previous.size * 2, most) : Math.min(FIRST_LEASE, most);
    if (size > cost) {
      const leased = await this.#shared.decide(rule, key, size);
      if (leased.allowed) {
        // What is left of a lease still running is kept (its units were taken in the shared store).
        const now = this.#clock.now();
        const old = this.#leases.get(key);
        const left = old !== undefined && old.expiresAt > now ? old.tokens : 0;
        this.#leases.set(key, { tokens: left + size - cost, size, expiresAt: now + this.#ttl, base: leased });
        this.#looks.delete(key);
        return { ...leased, remaining: leased.remaining + size - cost };
      }
    }
    const exact = await this.#shared.decide(rule, key, cost);
    this.#looks.delete(key);
    return exact;
  }

  ping(): Promise<void> {
    return this.#shared.ping();
  }

  async close(): Promise<void> {
    this.#leases.clear();
    this.#looks.clear();
    await this.#shared.close();
  }

  /** A lease of at most an eighth of what the rule admits at once; 1 (no lease) for rules that must be exact. */
  #leaseSizeFor(rule: RateLimitRule): number {
    if (rule.algorithm === 'leaky-bucket' && (rule.delay ?? 0) < (rule.burst ?? 0)) return 1;
    const capacity = rule.algorithm === 'token-bucket' ? (rule.burst ?? rule.limit) : rule.algorithm === 'gcra' || rule.algorithm === 'leaky-bucket' ? (rule.burst ?? 0) + 1 : rule.limit;
    return Math.max(1, Math.min(this.#size, Math.floor(capacity / 8)));
  }
}
