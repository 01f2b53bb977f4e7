import { systemClock, type Clock } from '../clock/index.js';
import { RollingWindow } from './rolling-window.js';

export interface RetryBudgetOptions {
  /** Time source (default: the system clock); tests pass a ManualClock. */
  clock?: Clock;
  /** Retries allowed per request in the window (default 0.2: one retry for five requests). */
  ratio?: number;
  /** Retries allowed per second of window whatever the traffic (default 10), so a quiet client can still retry. */
  minPerSecond?: number;
  /** The sliding window (default 10 s, in ten buckets). */
  windowMs?: number;
}

const REQUESTS = 0;
const RETRIES = 1;

/**
 * Caps retries at a share of the traffic, as Finagle's RetryBudget and Envoy's retry budgets do:
 * within the last `windowMs`, retries may number at most `ratio` × requests + `minPerSecond` ×
 * window seconds. When an upstream fails everything, per-request retry counts would multiply the
 * load on it by the attempts allowed; a budget holds the extra load to `ratio`.
 */
export class RetryBudget {
  readonly #window: RollingWindow;
  readonly #ratio: number;
  readonly #reserve: number;

  constructor(options: RetryBudgetOptions = {}) {
    const windowMs = options.windowMs ?? 10_000;
    this.#ratio = options.ratio ?? 0.2;
    const minPerSecond = options.minPerSecond ?? 10;
    if (!(this.#ratio >= 0) || !Number.isFinite(this.#ratio)) throw new RangeError('ratio must be a finite number >= 0');
    if (!(minPerSecond >= 0) || !Number.isFinite(minPerSecond)) throw new RangeError('minPerSecond must be a finite number >= 0');
    this.#window = new RollingWindow(options.clock ?? systemClock, windowMs, 2);
    this.#reserve = (minPerSecond * windowMs) / 1_000;
  }

  /**
   * Counts a first attempt. Retries are not counted as requests: otherwise each retry would earn
   * budget for more retries, the very amplification the budget exists to stop.
   */
  recordRequest(): void {
    this.#window.add(REQUESTS);
  }

  /** Takes one retry from the budget; false (and nothing taken) when it is spent. */
  tryRetry(): boolean {
    if (this.available() < 1) return false;
    this.#window.add(RETRIES);
    return true;
  }

  /** How many retries the budget would allow right now. */
  available(): number {
    // The epsilon keeps 0.29 × 100 (28.999999999999996 in floating point) at 29.
    const allowed = Math.floor(this.#ratio * this.#window.total(REQUESTS) + this.#reserve + 1e-9);
    return Math.max(0, allowed - this.#window.total(RETRIES));
  }
}
