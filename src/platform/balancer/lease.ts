import type { Lease } from './balancer.types.js';
import type { Upstream } from './upstream.js';

/** How a lease hands its outcome back to its balancer. */
export type Release = (host: Upstream, outcome: { ok: boolean; latencyMs?: number }, pickedAt: number) => void;

/** A lease on one host; settles once, whatever the number of done() calls. */
export class BalancerLease implements Lease {
  readonly upstream: string;
  #host: Upstream | undefined;
  readonly #pickedAt: number;
  readonly #release: Release;

  constructor(host: Upstream, pickedAt: number, release: Release) {
    this.upstream = host.id;
    this.#host = host;
    this.#pickedAt = pickedAt;
    this.#release = release;
  }

  done(outcome: { ok: boolean; latencyMs?: number }): void {
    const host = this.#host;
    if (host === undefined) return;
    this.#host = undefined;
    this.#release(host, outcome, this.#pickedAt);
  }
}
