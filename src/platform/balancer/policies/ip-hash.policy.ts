import { ipHashBytes } from '../ip-address.js';
import type { Upstream } from '../upstream.js';
import type { PickContext, Policy } from './policy.js';
import { nominalWeight, smoothPick } from './smooth-weighted.js';

/** nginx gives up rehashing after 20 more tries and falls back to round robin. */
const MAX_REHASH = 20;

/**
 * nginx `ip_hash` (ngx_http_upstream_ip_hash_module.c), arithmetic included: hash = 89, then
 * hash = (hash × 113 + byte) % 6271 over the address bytes, the host found by walking the weights
 * of every member (down ones too, so that a host going down moves only its own clients). An
 * unusable host means hashing the same bytes again from where the hash stands, up to 20 times,
 * then smooth weighted round robin. No key: smooth weighted round robin as well.
 */
export class IpHashPolicy implements Policy {
  readonly #bytes = new Uint8Array(16);
  #members: readonly Upstream[] = [];
  #routable: readonly Upstream[] = [];
  #totalWeight = 0;

  rebuild(members: readonly Upstream[], routable: readonly Upstream[]): void {
    this.#members = members;
    this.#routable = routable;
    this.#totalWeight = members.reduce((sum, h) => sum + h.weight, 0);
  }

  pick(ctx: PickContext): Upstream | undefined {
    const members = this.#members;
    if (ctx.key !== undefined && members.length > 0) {
      const bytes = this.#bytes;
      const length = ipHashBytes(ctx.key, bytes);
      let hash = 89;
      for (let tries = 0; tries <= MAX_REHASH; tries++) {
        for (let i = 0; i < length; i++) hash = (hash * 113 + bytes[i]!) % 6271;
        let w = hash % this.#totalWeight;
        let p = 0;
        while (w >= members[p]!.weight) w -= members[p++]!.weight;
        const host = members[p]!;
        if (ctx.usable(host)) return host;
      }
    }
    return smoothPick(this.#routable, ctx, nominalWeight);
  }
}
