import type { Clock } from '../../clock/index.js';
import type { RateLimitStore } from '../ratelimit.port.js';
import { LeasedRateLimitStore } from './leased-ratelimit.store.js';

export { LeasedRateLimitStore, type LeasedRateLimitOptions } from './leased-ratelimit.store.js';

/** A shared store (Redis) behind leases as configured; the store itself when leases are off (size 1). */
export function leasedRateLimits(shared: RateLimitStore, config: { RATE_LIMIT_LEASE: number; RATE_LIMIT_LEASE_MS: number }, clock: Clock): RateLimitStore {
  return config.RATE_LIMIT_LEASE <= 1 ? shared : new LeasedRateLimitStore(shared, { leaseSize: config.RATE_LIMIT_LEASE, leaseTtlMs: config.RATE_LIMIT_LEASE_MS, clock });
}
