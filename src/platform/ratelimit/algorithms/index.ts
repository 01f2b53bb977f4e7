import type { RateLimitAlgorithm, RateLimitRule } from '../ratelimit.port.js';
import { fixedWindow } from './fixed-window.js';
import { gcra } from './gcra.js';
import { leakyBucket } from './leaky-bucket.js';
import { slidingCounter } from './sliding-counter.js';
import { slidingLog } from './sliding-log.js';
import { checkInt, MAX_COST, type Algorithm } from './step.js';
import { tokenBucket } from './token-bucket.js';

export { NEVER, type Algorithm, type Step } from './step.js';

/** Every algorithm, by name. */
export const algorithms: { readonly [A in RateLimitAlgorithm]: Algorithm<unknown, unknown> } = {
  'token-bucket': tokenBucket,
  'leaky-bucket': leakyBucket,
  'fixed-window': fixedWindow,
  'sliding-log': slidingLog,
  'sliding-counter': slidingCounter,
  gcra,
};

/** The algorithm names, in a fixed order. */
export const ratelimitAlgorithms: readonly RateLimitAlgorithm[] = Object.freeze(Object.keys(algorithms) as RateLimitAlgorithm[]);

/** A rule checked once: its algorithm, the algorithm's position in `ratelimitAlgorithms`, and its parameters. */
export interface CompiledRule {
  readonly algorithm: Algorithm<unknown, unknown>;
  readonly index: number;
  readonly params: unknown;
  // The fields compiled, so a rule object changed after its first use is compiled again.
  readonly limit: number;
  readonly windowMs: number;
  readonly burst: number | undefined;
  readonly delay: number | undefined;
  readonly name: RateLimitAlgorithm;
}

const compiled = new WeakMap<RateLimitRule, CompiledRule>();

/**
 * Validates a rule and computes its parameters (RangeError when it makes no sense). Remembered per
 * rule object, so rules kept as constants cost a lookup on the hot path.
 */
export function compileRule(rule: RateLimitRule): CompiledRule {
  const hit = compiled.get(rule);
  if (hit !== undefined && hit.name === rule.algorithm && hit.limit === rule.limit && hit.windowMs === rule.windowMs && hit.burst === rule.burst && hit.delay === rule.delay) {
    return hit;
  }
  const algorithm = Object.hasOwn(algorithms, rule.algorithm) ? algorithms[rule.algorithm] : undefined;
  if (algorithm === undefined) throw new RangeError(`rate limit: unknown algorithm ${JSON.stringify(rule.algorithm)}`);
  const entry: CompiledRule = {
    algorithm,
    index: ratelimitAlgorithms.indexOf(rule.algorithm),
    params: algorithm.params(rule),
    limit: rule.limit,
    windowMs: rule.windowMs,
    burst: rule.burst,
    delay: rule.delay,
    name: rule.algorithm,
  };
  compiled.set(rule, entry);
  return entry;
}

/** Checks a request's cost: an integer from 0 (look only) to 2^31. */
export function checkCost(cost: number): number {
  return cost === 1 ? 1 : checkInt('cost', cost, 0, MAX_COST);
}

/** Checks a clock reading and drops any fraction: the algorithms count whole milliseconds. */
export function checkNow(now: number): number {
  if (!(now >= 0 && now <= 2 ** 42)) throw new RangeError(`rate limit: the clock must read epoch ms, got ${now}`);
  return Math.floor(now);
}
