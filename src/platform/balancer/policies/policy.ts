import type { Upstream } from '../upstream.js';

/** What a policy sees of one pick. One object per balancer, refilled on every pick. */
export interface PickContext {
  readonly now: number;
  readonly key: string | undefined;
  readonly random: () => number;
  /** Every routable host is usable: nothing excluded and no host at its concurrency limit. */
  readonly unfiltered: boolean;
  /** Some host may be in slow start, so weights must be scaled. */
  readonly slowStarting: boolean;
  readonly ewmaDecayMs: number;
  /** Routable, below its concurrency limit and not excluded by the request. */
  usable(host: Upstream): boolean;
  /** The host's weight scaled by slow start. */
  weightOf(host: Upstream): number;
}

/**
 * A selection algorithm for one tier (primaries or backups). A balancer holds one instance per
 * tier, so per-tier state (a cursor, a ring) lives in the instance.
 */
export interface Policy {
  /**
   * The tier changed: `members` is every host of the tier in configuration order, `routable` those
   * healthy and not ejected. Called on every membership or health change, never on a pick.
   */
  rebuild(members: readonly Upstream[], routable: readonly Upstream[]): void;
  /** A usable host of the tier, or undefined when it has none. */
  pick(ctx: PickContext): Upstream | undefined;
}
