import type { ManualClock } from '../../clock/index.js';
import type { Balancer, PickRequest } from '../index.js';

export interface TallyOptions {
  /** The request of the i-th pick (default: none). */
  request?: (i: number) => PickRequest | undefined;
  /** Latency each lease reports (default: none given, so the time since the pick). */
  latencyOf?: (id: string) => number;
  /** Outcome of each lease (default ok). */
  ok?: (id: string) => boolean;
  /** Moved this far before each pick. */
  clock?: ManualClock;
  stepMs?: number;
}

/**
 * Picks `n` times, settling every lease at once, and counts picks per host; `(none)` counts
 * picks that found no host. The Envoy load-balancer simulations in miniature.
 */
export function tally(balancer: Balancer, n: number, options: TallyOptions = {}): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    options.clock?.advance(options.stepMs ?? 1);
    const lease = balancer.pick(options.request?.(i));
    const id = lease?.upstream ?? '(none)';
    counts[id] = (counts[id] ?? 0) + 1;
    if (lease !== undefined) {
      const latencyMs = options.latencyOf?.(id);
      lease.done({ ok: options.ok?.(id) ?? true, ...(latencyMs === undefined ? {} : { latencyMs }) });
    }
  }
  return counts;
}

/** Picks `n` times and returns the sequence of ids, settling every lease at once. */
export function sequence(balancer: Balancer, n: number, request?: PickRequest): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const lease = balancer.pick(request);
    out.push(lease?.upstream ?? '(none)');
    lease?.done({ ok: true });
  }
  return out;
}

/** Each count as a fraction of the total. */
export function shares(counts: Record<string, number>): Record<string, number> {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return Object.fromEntries(Object.entries(counts).map(([id, c]) => [id, c / total]));
}
