import { HashRing } from '../hash-ring.js';
import type { Upstream } from '../upstream.js';
import type { PickContext, Policy } from './policy.js';
import { nominalWeight, smoothPick } from './smooth-weighted.js';

/**
 * Envoy RING_HASH / nginx `hash $key consistent`: the ring holds every member, down ones too, so
 * a host going down hands its keys to the next distinct usable host clockwise and takes them back
 * when it returns, everyone else's keys staying put. No key: smooth weighted round robin.
 */
export class ConsistentHashPolicy implements Policy {
  readonly #ring: HashRing;
  readonly #byId = new Map<string, Upstream>();
  #routable: readonly Upstream[] = [];
  #ctx: PickContext | undefined;
  // One closure for the life of the policy, not one per pick.
  readonly #accept = (id: string): boolean => this.#ctx!.usable(this.#byId.get(id)!);

  constructor(vnodes: number) {
    this.#ring = new HashRing({ vnodes });
  }

  rebuild(members: readonly Upstream[], routable: readonly Upstream[]): void {
    this.#routable = routable;
    const previous = new Set(this.#byId.keys());
    this.#byId.clear();
    for (const host of members) {
      previous.delete(host.id);
      this.#byId.set(host.id, host);
      // A no-op unless the host is new or its weight changed: the ring is rebuilt only then.
      this.#ring.add(host.id, host.weight);
    }
    for (const id of previous) this.#ring.remove(id);
  }

  pick(ctx: PickContext): Upstream | undefined {
    if (ctx.key === undefined) return smoothPick(this.#routable, ctx, nominalWeight);
    this.#ctx = ctx;
    const id = this.#ring.find(ctx.key, this.#accept);
    this.#ctx = undefined;
    return id === undefined ? undefined : this.#byId.get(id);
  }
}
