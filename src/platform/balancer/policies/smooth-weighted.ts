import type { Upstream } from '../upstream.js';
import type { PickContext } from './policy.js';

/**
 * nginx's smooth weighted round robin (ngx_http_upstream_get_peer): every usable host's running
 * weight grows by its weight, the largest wins (the first on a tie) and gives back the total. For
 * weights 5, 1, 1 that interleaves a a b a c a a instead of a a a a a b c. Weights may change
 * between picks (slow start, in-flight counts); shares follow them.
 */
export function smoothPick(hosts: readonly Upstream[], ctx: PickContext, weightOf: (host: Upstream, ctx: PickContext) => number): Upstream | undefined {
  let best: Upstream | undefined;
  let total = 0;
  for (let i = 0; i < hosts.length; i++) {
    const host = hosts[i]!;
    if (!ctx.usable(host)) continue;
    const weight = weightOf(host, ctx);
    host.currentWeight += weight;
    total += weight;
    if (best === undefined || host.currentWeight > best.currentWeight) best = host;
  }
  if (best !== undefined) best.currentWeight -= total;
  return best;
}

/** The configured weight, scaled by slow start. */
export const nominalWeight = (host: Upstream, ctx: PickContext): number => ctx.weightOf(host);
