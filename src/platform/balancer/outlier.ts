/** The n-th ejection in a row lasts n × base, at most this many times base (Envoy's default max_ejection_time is 10 × 30 s). */
export const MAX_EJECTION_MULTIPLIER = 10;

/**
 * Whether one more host of a tier may be ejected. Envoy's rule (outlier_detection.cc, ejectHost):
 * while the ejected share stays within maxEjectionPercent, and in any case when none is ejected,
 * so that one host may always be ejected whatever the percentage (even the only one: what is left
 * then is the backups, or nothing, rather than a host failing every request).
 */
export function mayEject(tierSize: number, ejected: number, maxEjectionPercent: number): boolean {
  return ejected === 0 || (ejected + 1) * 100 <= maxEjectionPercent * tierSize;
}

/**
 * The ejection multiplier after `idleMs` without ejection: Envoy takes one off per detection
 * interval a host stays un-ejected; with no interval timer here, one per base ejection time spent
 * admitted since the last readmission. A host that keeps failing right after its return is
 * therefore ejected for longer each time, one that behaved for a while starts over.
 */
export function decayedEjections(times: number, idleMs: number, baseEjectionMs: number): number {
  return Math.max(0, times - Math.floor(Math.max(0, idleMs) / baseEjectionMs));
}

/** Length of the `times`-th ejection in a row. */
export function ejectionMs(baseEjectionMs: number, times: number): number {
  return baseEjectionMs * Math.min(Math.max(times, 1), MAX_EJECTION_MULTIPLIER);
}
