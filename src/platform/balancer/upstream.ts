/** Slow start begins at this share of the weight (Envoy `min_weight_percent` default). */
const SLOW_START_FLOOR = 0.1;

/**
 * One host's mutable state, shared by the balancer and its policies. Plain fields rather than
 * accessors: policies read them on every pick.
 */
export class Upstream {
  readonly id: string;
  weight: number;
  backup: boolean;
  /** False once update() removed it: late leases still settle, but change nothing that matters. */
  member = true;
  healthy = true;
  /** Epoch ms the ejection ends; 0 when not ejected. */
  ejectedUntil = 0;
  timesEjected = 0;
  /** When the last ejection ended; the ejection multiplier decays from there. */
  readmittedAt = 0;
  /** healthy && not ejected, kept by the balancer so that policies test one field. */
  routable = true;
  inFlight = 0;
  consecutiveErrors = 0;
  picks = 0;
  /** Smooth weighted round robin's running weight (nginx `current_weight`). */
  currentWeight = 0;
  /** Epoch ms slow start began; -1 when not in slow start. */
  slowStartFrom = -1;
  #ewma = -1;
  #ewmaAt = 0;

  constructor(id: string, weight: number, backup: boolean) {
    this.id = id;
    this.weight = weight;
    this.backup = backup;
  }

  /**
   * The share of its weight the host gets now: Envoy's max(10 %, elapsed / window) (aggression 1),
   * so a host never waits at zero, and 1 once the window has passed.
   */
  slowStartFactor(now: number, windowMs: number): number {
    if (this.slowStartFrom < 0) return 1;
    const elapsed = now - this.slowStartFrom;
    if (elapsed >= windowMs) {
      this.slowStartFrom = -1;
      return 1;
    }
    return Math.max(SLOW_START_FLOOR, elapsed / windowMs);
  }

  /**
   * Peak EWMA latency at `now`, or -1 before any sample. It decays towards zero while no response
   * arrives (Finagle's PeakEwma, tower's), so that a host once slow is probed again rather than
   * starved forever. Reading changes nothing: the value does not depend on how often it is read.
   */
  latencyAt(now: number, decayMs: number): number {
    if (this.#ewma < 0) return -1;
    return this.#ewma * Math.exp(-Math.max(0, now - this.#ewmaAt) / decayMs);
  }

  /** Records a response time: a peak replaces the estimate at once, a lower one blends in by recency. */
  observe(latencyMs: number, now: number, decayMs: number): void {
    if (this.#ewma < 0) {
      this.#ewma = latencyMs;
    } else {
      const w = Math.exp(-Math.max(0, now - this.#ewmaAt) / decayMs);
      const current = this.#ewma * w;
      this.#ewma = latencyMs > current ? latencyMs : current + latencyMs * (1 - w);
    }
    this.#ewmaAt = Math.max(this.#ewmaAt, now);
  }
}
