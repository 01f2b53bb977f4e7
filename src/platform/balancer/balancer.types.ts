import type { Clock } from '../clock/index.js';

/** One API server of the pool. */
export interface UpstreamSpec {
  /** Unique, non-empty; usually `host:port`. */
  id: string;
  /** Relative share of traffic, an integer in 1..1000 (default 1). */
  weight?: number;
  /** Used only when no primary is available (nginx `backup`). */
  backup?: boolean;
}

export type BalancerPolicyName = 'round-robin' | 'weighted-round-robin' | 'least-connections' | 'ip-hash' | 'consistent-hash' | 'peak-ewma';

/** Passive health checking: Envoy outlier detection on consecutive errors. */
export interface PassiveOptions {
  /** Consecutive failed leases that eject a host (default 5, Envoy `consecutive_5xx`). */
  consecutiveErrors?: number;
  /** First ejection length; the n-th in a row lasts n times as long, up to 10 times (default 30 000). */
  baseEjectionMs?: number;
  /** Most of a tier (primaries, or backups) ejected at once, in percent (default 50). */
  maxEjectionPercent?: number;
}

/** Ejections, readmissions and health changes, for logs and the console. */
export type BalancerEvent =
  | { type: 'ejected'; id: string; at: number; until: number }
  | { type: 'readmitted' | 'healthy' | 'unhealthy'; id: string; at: number };

export interface BalancerOptions {
  policy: BalancerPolicyName;
  clock?: Clock;
  /** Uniform in [0, 1); injectable for deterministic tests (default Math.random). */
  random?: () => number;
  /** Passive ejection; off when absent (as in Envoy), defaults for each missing field when present. */
  passive?: PassiveOptions;
  /**
   * 0 (default) is off. A host that turns healthy, is readmitted after an ejection or joins through
   * update() ramps its weight linearly from 10 % to 100 % over this window (Envoy `slow_start_config`).
   */
  slowStartMs?: number;
  /** Most leases one host holds at once; a host at the limit is not picked (default unlimited). */
  maxConcurrent?: number;
  /** Time constant of the peak-EWMA latency (default 10 000 ms, as Finagle and linkerd). */
  ewmaDecayMs?: number;
  /** Consistent-hash points per unit of weight (default 160, as ketama). */
  vnodes?: number;
  /** Told synchronously of every event; must not throw (it runs inside pick() and done()). */
  onEvent?: (event: BalancerEvent) => void;
}

export interface PickRequest {
  /** The client IP for ip-hash, any string for consistent-hash; ignored by the other policies. */
  key?: string;
  /** Hosts this request already tried (retries go elsewhere, nginx `proxy_next_upstream`). */
  exclude?: ReadonlySet<string>;
}

/** One request's hold on a host: counts as in flight until done. */
export interface Lease {
  readonly upstream: string;
  /**
   * Ends the request. `ok: false` counts towards ejection; `latencyMs` (default: the time since the
   * pick) feeds peak EWMA. Calls after the first are ignored.
   */
  done(outcome: { ok: boolean; latencyMs?: number }): void;
}

/** A host as /metrics and the console show it. */
export interface UpstreamState {
  id: string;
  weight: number;
  backup: boolean;
  /** As last reported by the active health checker (setHealthy). */
  healthy: boolean;
  /** Epoch ms the current ejection ends; undefined when not ejected. */
  ejectedUntil: number | undefined;
  /** The weight in use now: `weight` scaled down during slow start. */
  effectiveWeight: number;
  inFlight: number;
  /** Peak-EWMA latency decayed to now; undefined before the first completed lease. */
  ewmaMs: number | undefined;
  consecutiveErrors: number;
  /** Ejections in a row that set the next ejection's length. */
  timesEjected: number;
  /** Leases handed out since the host joined. */
  picks: number;
}
