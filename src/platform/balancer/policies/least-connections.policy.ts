import type { Upstream } from '../upstream.js';
import type { PickContext, Policy } from './policy.js';
import { smoothPick } from './smooth-weighted.js';
import { TwoChoices } from './two-choices.js';

/** Envoy's weight for a loaded host: weight / (active + 1)^bias, with active_request_bias 1. */
const loadedWeight = (host: Upstream, ctx: PickContext): number => ctx.weightOf(host) / (host.inFlight + 1);

/**
 * Envoy LEAST_REQUEST. Equal weights: power of two choices, the one with fewer leases in flight
 * winning (ties random). Unequal weights (or a host in slow start): like Envoy, not P2C, which
 * would hand the heavier host every pair it is in, but a weighted scheduler over
 * weight / (in flight + 1): Envoy uses an EDF queue, we use nginx's smooth round robin over the
 * same weights, which gives the same shares with no heap to maintain.
 */
export class LeastConnectionsPolicy implements Policy {
  readonly #two = new TwoChoices();
  #hosts: readonly Upstream[] = [];
  #uniform = true;

  rebuild(_members: readonly Upstream[], routable: readonly Upstream[]): void {
    this.#hosts = routable;
    this.#uniform = routable.every((h) => h.weight === routable[0]!.weight);
    this.#two.rebuild(routable);
  }

  pick(ctx: PickContext): Upstream | undefined {
    if (!this.#uniform || ctx.slowStarting) return smoothPick(this.#hosts, ctx, loadedWeight);
    const two = this.#two;
    two.draw(ctx);
    const { first, second } = two;
    if (first === undefined || second === undefined) return first;
    return second.inFlight < first.inFlight ? second : first;
  }
}
