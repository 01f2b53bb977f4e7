import { systemClock, type Clock } from '../clock/index.js';
import { RollingWindow } from './rolling-window.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Time source (default: the system clock); tests pass a ManualClock. */
  clock?: Clock;
  /** Consecutive failures that open the breaker (default 5; `Infinity` to rely on the rate alone). */
  failureThreshold?: number;
  /**
   * Also open when at least this share (0 < rate <= 1) of the outcomes in the last `windowMs` are
   * failures, once there are `minimumRequests` of them. Off by default. Both rules apply: the rate
   * catches a busy upstream failing often but not in a row, the count a quiet one that is down.
   */
  failureRate?: number;
  /** The rate's rolling window (default 10 s, in ten buckets). */
  windowMs?: number;
  /** Outcomes the window needs before the rate can open the breaker (default 20). */
  minimumRequests?: number;
  /** How long the breaker stays open before letting a probe through (default 10 s). */
  openMs?: number;
  /**
   * Each failed probe doubles the open time, up to this (default `openMs`: no doubling), so an
   * upstream that stays down is probed less and less often.
   */
  maxOpenMs?: number;
  /** Told of every change of state, after it happened. */
  onStateChange?: (from: CircuitState, to: CircuitState) => void;
}

/**
 * The right to send one request. Settle it exactly once: `success()` or `failure()` with the
 * outcome, or `release()` when there is none to report (the client went away, the request was
 * never sent). Later calls are ignored, so a `finally { permit.release() }` is always safe.
 */
export interface Permit {
  success(): void;
  failure(): void;
  release(): void;
}

/** What the breaker knows, for metrics and admin pages. */
export interface CircuitBreakerSnapshot {
  state: CircuitState;
  consecutiveFailures: number;
  /** Outcomes and failures in the rate's window (zero when the rate is off). */
  windowRequests: number;
  windowFailures: number;
  /** The current open time: `openMs`, or more after failed probes. */
  openMs: number;
  /** While open: the clock time from which a probe may go through. */
  retryAt: number | undefined;
  /** While half-open: whether the one probe is out. */
  probeInFlight: boolean;
}

const SUCCESS = 0;
const FAILURE = 1;
const RELEASE = 2;
type Outcome = typeof SUCCESS | typeof FAILURE | typeof RELEASE;

/**
 * A circuit breaker for calls to one upstream: closed, it lets everything through and counts
 * failures; open, it refuses at once (no timers: it turns half-open lazily, on the first look after
 * `openMs`); half-open, it lets exactly one probe through at a time and closes on its success or
 * opens again on its failure.
 *
 * Outcomes of permits issued before the last change of state are ignored: they describe the
 * upstream as it was, and letting a slow request that started while closed reopen or close the
 * breaker would defeat the one-probe rule.
 */
export class CircuitBreaker {
  readonly #clock: Clock;
  readonly #threshold: number;
  readonly #rate: number | undefined;
  readonly #minimum: number;
  readonly #window: RollingWindow | undefined;
  readonly #baseOpenMs: number;
  readonly #maxOpenMs: number;
  readonly #onStateChange: ((from: CircuitState, to: CircuitState) => void) | undefined;
  #state: CircuitState = 'closed';
  /** Bumped at every change of state; permits carry the one they were issued in. */
  #generation = 0;
  #consecutive = 0;
  #openMs: number;
  #openedAt = 0;
  #probe = false;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#threshold = options.failureThreshold ?? 5;
    this.#rate = options.failureRate;
    this.#minimum = options.minimumRequests ?? 20;
    this.#baseOpenMs = options.openMs ?? 10_000;
    this.#maxOpenMs = options.maxOpenMs ?? this.#baseOpenMs;
    this.#openMs = this.#baseOpenMs;
    this.#onStateChange = options.onStateChange;
    if (!(this.#threshold >= 1) || (Number.isFinite(this.#threshold) && !Number.isInteger(this.#threshold))) throw new RangeError('failureThreshold must be a positive integer or Infinity');
    if (this.#rate !== undefined && !(this.#rate > 0 && this.#rate <= 1)) throw new RangeError('failureRate must be in (0, 1]');
    if (!Number.isInteger(this.#minimum) || this.#minimum < 1) throw new RangeError('minimumRequests must be a positive integer');
    if (!(this.#baseOpenMs >= 0) || !Number.isFinite(this.#baseOpenMs)) throw new RangeError('openMs must be a finite number >= 0');
    if (!(this.#maxOpenMs >= this.#baseOpenMs) || !Number.isFinite(this.#maxOpenMs)) throw new RangeError('maxOpenMs must be finite and >= openMs');
    if (this.#rate !== undefined) this.#window = new RollingWindow(this.#clock, options.windowMs ?? 10_000, 2);
  }

  /** The state now (an open breaker whose time is up reads, and becomes, half-open). */
  get state(): CircuitState {
    this.#refresh();
    return this.#state;
  }

  /**
   * A permit to send one request, or undefined when the breaker refuses it: open, or half-open
   * with its probe already out. Every permit must be settled (see Permit).
   */
  tryAcquire(): Permit | undefined {
    this.#refresh();
    if (this.#state === 'open') return undefined;
    if (this.#state === 'half-open') {
      if (this.#probe) return undefined;
      this.#probe = true;
    }
    const generation = this.#generation;
    let settled = false;
    const settle = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      this.#settle(generation, outcome);
    };
    return { success: () => settle(SUCCESS), failure: () => settle(FAILURE), release: () => settle(RELEASE) };
  }

  snapshot(): CircuitBreakerSnapshot {
    this.#refresh();
    return {
      state: this.#state,
      consecutiveFailures: this.#consecutive,
      windowRequests: this.#window ? this.#window.total(SUCCESS) + this.#window.total(FAILURE) : 0,
      windowFailures: this.#window ? this.#window.total(FAILURE) : 0,
      openMs: this.#openMs,
      retryAt: this.#state === 'open' ? this.#openedAt + this.#openMs : undefined,
      probeInFlight: this.#probe,
    };
  }

  #refresh(): void {
    if (this.#state === 'open' && this.#clock.now() >= this.#openedAt + this.#openMs) this.#enter('half-open');
  }

  #settle(generation: number, outcome: Outcome): void {
    if (generation !== this.#generation) return;
    if (this.#state === 'half-open') {
      // The only live permit in half-open is the probe.
      this.#probe = false;
      if (outcome === SUCCESS) this.#close();
      else if (outcome === FAILURE) this.#open(Math.min(this.#openMs * 2, this.#maxOpenMs));
      return;
    }
    // Closed: an open breaker issues no permits, so none carries its generation.
    if (outcome === RELEASE) return;
    this.#window?.add(outcome);
    if (outcome === SUCCESS) {
      this.#consecutive = 0;
      return;
    }
    this.#consecutive++;
    if (this.#consecutive >= this.#threshold || this.#rateExceeded()) this.#open(this.#baseOpenMs);
  }

  #rateExceeded(): boolean {
    if (this.#window === undefined || this.#rate === undefined) return false;
    const failures = this.#window.total(FAILURE);
    const requests = failures + this.#window.total(SUCCESS);
    // A division rather than `failures >= rate * requests`: 0.3 * 10 is 3.0000000000000004.
    return requests >= this.#minimum && failures / requests >= this.#rate;
  }

  #open(openMs: number): void {
    this.#openMs = openMs;
    this.#openedAt = this.#clock.now();
    this.#enter('open');
  }

  #close(): void {
    this.#openMs = this.#baseOpenMs;
    this.#enter('closed');
  }

  /**
   * What was counted belongs to the state being left. The callback runs last, so the breaker is
   * consistent even when it throws (the error reaches whoever caused the change).
   */
  #enter(to: CircuitState): void {
    const from = this.#state;
    this.#state = to;
    this.#generation++;
    this.#consecutive = 0;
    this.#probe = false;
    this.#window?.reset();
    this.#onStateChange?.(from, to);
  }
}
