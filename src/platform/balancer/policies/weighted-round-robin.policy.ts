import type { Upstream } from '../upstream.js';
import type { PickContext, Policy } from './policy.js';
import { nominalWeight, smoothPick } from './smooth-weighted.js';

/** nginx's default balancing: smooth weighted round robin, slow start scaling the weights. */
export class WeightedRoundRobinPolicy implements Policy {
  #hosts: readonly Upstream[] = [];

  rebuild(_members: readonly Upstream[], routable: readonly Upstream[]): void {
    this.#hosts = routable;
  }

  pick(ctx: PickContext): Upstream | undefined {
    return smoothPick(this.#hosts, ctx, nominalWeight);
  }
}
