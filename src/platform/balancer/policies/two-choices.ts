import type { Upstream } from '../upstream.js';
import type { PickContext } from './policy.js';

/**
 * Draws two distinct usable hosts for the power-of-two-choices policies, each draw with
 * probability proportional to weight (uniform when weights are equal), the second among the hosts
 * left. Preferring `first` on a tie is then a weighted random tie-break, which is what keeps
 * shares proportional to weights when costs are equal.
 */
export class TwoChoices {
  first: Upstream | undefined;
  second: Upstream | undefined;
  #hosts: readonly Upstream[] = [];
  #uniform = true;
  /** prefix[i] = sum of the weights of hosts[0..i), for binary search. */
  #prefix = new Float64Array(1);

  rebuild(routable: readonly Upstream[]): void {
    this.#hosts = routable;
    this.#uniform = routable.every((h) => h.weight === routable[0]!.weight);
    this.#prefix = new Float64Array(routable.length + 1);
    for (let i = 0; i < routable.length; i++) this.#prefix[i + 1] = this.#prefix[i]! + routable[i]!.weight;
  }

  draw(ctx: PickContext): void {
    this.first = undefined;
    this.second = undefined;
    if (this.#hosts.length === 0) return;
    if (this.#uniform && !ctx.slowStarting) {
      if (ctx.unfiltered) this.#uniformAll(ctx);
      else this.#uniformUsable(ctx);
    } else if (ctx.unfiltered && !ctx.slowStarting) {
      this.#weightedAll(ctx);
    } else {
      this.#weightedUsable(ctx);
    }
  }

  // Every routable host usable, equal weights: two random numbers, no scan.
  #uniformAll(ctx: PickContext): void {
    const n = this.#hosts.length;
    const i = Math.floor(ctx.random() * n);
    this.first = this.#hosts[i];
    if (n === 1) return;
    let j = Math.floor(ctx.random() * (n - 1));
    if (j >= i) j++;
    this.second = this.#hosts[j];
  }

  // Exclusions or hosts at their limit: count the usable, then take the i-th and the j-th.
  #uniformUsable(ctx: PickContext): void {
    const hosts = this.#hosts;
    let m = 0;
    for (let k = 0; k < hosts.length; k++) if (ctx.usable(hosts[k]!)) m++;
    if (m === 0) return;
    const i = Math.floor(ctx.random() * m);
    let j = -1;
    if (m > 1) {
      j = Math.floor(ctx.random() * (m - 1));
      if (j >= i) j++;
    }
    for (let k = 0, seen = 0; k < hosts.length; k++) {
      const host = hosts[k]!;
      if (!ctx.usable(host)) continue;
      if (seen === i) this.first = host;
      else if (seen === j) this.second = host;
      seen++;
    }
  }

  // Static weights, everything usable: binary searches in the precomputed prefix sums.
  #weightedAll(ctx: PickContext): void {
    const prefix = this.#prefix;
    const n = this.#hosts.length;
    const total = prefix[n]!;
    const i = this.#find(ctx.random() * total);
    this.first = this.#hosts[i];
    if (n === 1) return;
    // Draw over the total without the first host's span, then step over that span.
    const w = prefix[i + 1]! - prefix[i]!;
    let r = ctx.random() * (total - w);
    if (r >= prefix[i]!) r += w;
    this.second = this.#hosts[this.#find(r)];
  }

  /** The host whose span [prefix[k], prefix[k+1]) holds r. */
  #find(r: number): number {
    const prefix = this.#prefix;
    let lo = 0;
    let hi = this.#hosts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (prefix[mid]! <= r) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  // Slow start or filters: weights read now, two scans.
  #weightedUsable(ctx: PickContext): void {
    const hosts = this.#hosts;
    let total = 0;
    for (let k = 0; k < hosts.length; k++) if (ctx.usable(hosts[k]!)) total += ctx.weightOf(hosts[k]!);
    if (total === 0) return;
    this.first = this.#scan(ctx, ctx.random() * total, undefined);
    const rest = total - ctx.weightOf(this.first!);
    if (rest > 0) this.second = this.#scan(ctx, ctx.random() * rest, this.first);
  }

  #scan(ctx: PickContext, r: number, skip: Upstream | undefined): Upstream | undefined {
    let last: Upstream | undefined;
    for (let k = 0; k < this.#hosts.length; k++) {
      const host = this.#hosts[k]!;
      if (host === skip || !ctx.usable(host)) continue;
      last = host;
      r -= ctx.weightOf(host);
      if (r < 0) return host;
    }
    // Rounding can leave r a hair above zero at the end: the last host's span holds it.
    return last;
  }
}
