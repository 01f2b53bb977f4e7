import { systemClock, type Clock } from '../clock/index.js';
import type { BalancerEvent, BalancerOptions, BalancerPolicyName, UpstreamSpec } from './balancer.types.js';
import { policies } from './policies/index.js';

export const MAX_WEIGHT = 1000;

/** Options with every default filled in and every value checked. */
export interface ResolvedOptions {
  policy: BalancerPolicyName;
  clock: Clock;
  random: () => number;
  passive: { consecutiveErrors: number; baseEjectionMs: number; maxEjectionPercent: number } | undefined;
  slowStartMs: number;
  /** Infinity when unlimited, so that the check is one comparison. */
  maxConcurrent: number;
  ewmaDecayMs: number;
  vnodes: number;
  onEvent: ((event: BalancerEvent) => void) | undefined;
}

/** A validated UpstreamSpec. */
export interface ResolvedSpec {
  id: string;
  weight: number;
  backup: boolean;
}

function int(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${String(value)}`);
  return value;
}

/** Checks options, throwing a RangeError naming the first bad one. */
export function resolveOptions(options: BalancerOptions): ResolvedOptions {
  if (!Object.hasOwn(policies, options.policy)) {
    throw new RangeError(`unknown balancer policy ${JSON.stringify(options.policy)}; expected one of ${Object.keys(policies).join(', ')}`);
  }
  const passive = options.passive;
  return {
    policy: options.policy,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    passive:
      passive === undefined
        ? undefined
        : {
            consecutiveErrors: int('passive.consecutiveErrors', passive.consecutiveErrors ?? 5, 1, Number.MAX_SAFE_INTEGER),
            baseEjectionMs: int('passive.baseEjectionMs', passive.baseEjectionMs ?? 30_000, 1, Number.MAX_SAFE_INTEGER),
            maxEjectionPercent: int('passive.maxEjectionPercent', passive.maxEjectionPercent ?? 50, 0, 100),
          },
    slowStartMs: int('slowStartMs', options.slowStartMs ?? 0, 0, Number.MAX_SAFE_INTEGER),
    maxConcurrent: options.maxConcurrent === undefined ? Infinity : int('maxConcurrent', options.maxConcurrent, 1, Number.MAX_SAFE_INTEGER),
    ewmaDecayMs: int('ewmaDecayMs', options.ewmaDecayMs ?? 10_000, 1, Number.MAX_SAFE_INTEGER),
    vnodes: int('vnodes', options.vnodes ?? 160, 1, 10_000),
    onEvent: options.onEvent,
  };
}

/** Checks a membership list: non-empty unique ids, integer weights in 1..1000. */
export function resolveSpecs(upstreams: readonly UpstreamSpec[]): ResolvedSpec[] {
  if (!Array.isArray(upstreams)) throw new RangeError('upstreams must be an array');
  const seen = new Set<string>();
  return upstreams.map((spec, i) => {
    const id = spec?.id;
    if (typeof id !== 'string' || id.length === 0) throw new RangeError(`upstream #${i} needs a non-empty string id`);
    if (seen.has(id)) throw new RangeError(`duplicate upstream id ${JSON.stringify(id)}`);
    seen.add(id);
    const weight = int(`weight of upstream ${JSON.stringify(id)}`, spec.weight ?? 1, 1, MAX_WEIGHT);
    return { id, weight, backup: spec.backup === true };
  });
}
