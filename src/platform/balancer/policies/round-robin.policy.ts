import type { Upstream } from '../upstream.js';
import type { PickContext, Policy } from './policy.js';

/**
 * Strict rotation over the routable hosts, weights ignored (nginx-tests upstream.t: A, B, A, B; a
 * down host is skipped). A host in slow start is taken with probability equal to its slow-start
 * factor when its turn comes, which gives it that fraction of a turn on average and leaves the
 * order of the others untouched.
 */
export class RoundRobinPolicy implements Policy {
  #hosts: readonly Upstream[] = [];
  #next = 0;
  #last: Upstream | undefined;

  /** Resumes after the last host picked, in configuration order, whoever went down or came up. */
  rebuild(members: readonly Upstream[], routable: readonly Upstream[]): void {
    this.#hosts = routable;
    this.#next = 0;
    const lastAt = this.#last === undefined ? -1 : members.indexOf(this.#last);
    // `routable` is a subsequence of `members`: walk both to find the first routable host after it.
    for (let i = 0, k = 0; i < members.length && k < routable.length; i++) {
      if (members[i] !== routable[k]) continue;
      if (i > lastAt) {
        this.#next = k;
        return;
      }
      k++;
    }
  }

  pick(ctx: PickContext): Upstream | undefined {
    const hosts = this.#hosts;
    const n = hosts.length;
    let deferred = -1;
    for (let k = 0, i = this.#next; k < n; k++, i = i + 1 === n ? 0 : i + 1) {
      const host = hosts[i]!;
      if (!ctx.usable(host)) continue;
      if (ctx.slowStarting) {
        const share = ctx.weightOf(host);
        if (share < host.weight && ctx.random() * host.weight >= share) {
          if (deferred < 0) deferred = i;
          continue;
        }
      }
      this.#next = i + 1 === n ? 0 : i + 1;
      this.#last = host;
      return host;
    }
    // Every usable host was in slow start and declined its turn: the first of them takes it.
    if (deferred < 0) return undefined;
    this.#next = deferred + 1 === n ? 0 : deferred + 1;
    this.#last = hosts[deferred];
    return this.#last;
  }
}
