import { afterEach, beforeEach, describe } from 'vitest';
import { ManualClock } from '../clock/index.js';
import { algorithmCases } from './testing/algorithms.contract.js';
import type { ContractContext } from './testing/context.js';
import { nginxLimitReqCases } from './testing/nginx-limit-req.contract.js';
import { redisCellCases } from './testing/redis-cell.contract.js';
import type { RateLimitStore } from './ratelimit.port.js';

/** How the contract gets a store. */
export interface RateLimitContractFactory {
  /** A store on fresh state (no key seen) whose time is `clock`; the suite closes it after the test. */
  create(clock: ManualClock): Promise<RateLimitStore>;
  /** After each test, once the store is closed (e.g. delete the test's keys). */
  dispose?(): Promise<void>;
}

/** The start of every test: an hour boundary, so every window the cases use starts there. */
const T0 = Date.UTC(2026, 0, 1, 12);

/**
 * The behaviour every rate-limit store promises (see ratelimit.port.ts): nginx-tests' limit_req
 * sequences for the leaky bucket, redis-cell's table for GCRA, exact decisions of every algorithm,
 * and what all share. Each store's test calls this.
 */
export function runRateLimitContract(name: string, factory: RateLimitContractFactory): void {
  describe(`${name} (rate-limit contract)`, () => {
    let current: ContractContext | undefined;
    const ctx = (): ContractContext => {
      if (current === undefined) throw new Error('no store: used outside a test');
      return current;
    };
    beforeEach(async () => {
      const clock = new ManualClock(T0);
      current = { store: await factory.create(clock), clock, t0: T0 };
    });
    afterEach(async () => {
      await current?.store.close();
      current = undefined;
      await factory.dispose?.();
    });

    nginxLimitReqCases(ctx);
    redisCellCases(ctx);
    algorithmCases(ctx);
  });
}
