import type { Upstream } from '../upstream.js';
import type { PickContext, Policy } from './policy.js';
import { TwoChoices } from './two-choices.js';

/**
 * Latencies below a millisecond count as one: the default clock measures whole milliseconds, and
 * an estimate of zero would make the in-flight count irrelevant to the cost.
 */
const FLOOR_MS = 1;

/**
 * Finagle's and linkerd's peak EWMA: power of two choices on cost = latency × (in flight + 1).
 * Weights (slow start included) weigh the draw of the two candidates, as in Finagle's weighted
 * P2C, not the cost: a cost divided by the weight would hand the heavier host every pair it is
 * in. A host with no sample yet costs what the other candidate costs per request (both unknown:
 * the same), so it is neither favoured nor starved and gets its first samples.
 */
export class PeakEwmaPolicy implements Policy {
  readonly #two = new TwoChoices();
  rebuild(_members: readonly Upstream[], routable: readonly Upstream[]): void {
    this.#two.rebuild(routable);
  }

  pick(ctx: PickContext): Upstream | undefined {
    const two = this.#two;
    two.draw(ctx);
    const { first, second } = two;
    if (first === undefined || second === undefined) return first;
    let a = first.latencyAt(ctx.now, ctx.ewmaDecayMs);
    let b = second.latencyAt(ctx.now, ctx.ewmaDecayMs);
    if (a < 0) a = b < 0 ? FLOOR_MS : b;
    if (b < 0) b = a;
    const costA = Math.max(a, FLOOR_MS) * (first.inFlight + 1);
    const costB = Math.max(b, FLOOR_MS) * (second.inFlight + 1);
    return costB < costA ? second : first;
  }
}
