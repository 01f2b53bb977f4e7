import type { Clock } from '../clock/index.js';

/**
 * Counts events of a few kinds (series) over a rolling window of time, in `buckets` equal slots:
 * constant memory and O(buckets) reads whatever the traffic, where a log of timestamps would grow
 * with the request rate. The price is resolution: an event leaves the window between
 * `windowMs - windowMs / buckets` and `windowMs` after it was counted, when its slot is reused.
 */
export class RollingWindow {
  readonly #clock: Clock;
  readonly #bucketMs: number;
  readonly #buckets: number;
  readonly #series: number;
  /** Slot `i` holds series `s` at `i * series + s`. */
  readonly #counts: Float64Array;
  /** The absolute bucket number (time / bucketMs) each slot currently counts. */
  readonly #epochs: Float64Array;
  #latest = -Infinity;

  /**
   * @param series how many kinds of event are counted (numbered 0..series-1).
   * @param buckets slots the window is cut into (default 10).
   */
  constructor(clock: Clock, windowMs: number, series: number, buckets = 10) {
    if (!(windowMs > 0) || !Number.isFinite(windowMs)) throw new RangeError('windowMs must be a positive number');
    if (!Number.isInteger(series) || series < 1) throw new RangeError('series must be a positive integer');
    if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError('buckets must be a positive integer');
    this.#clock = clock;
    this.#bucketMs = windowMs / buckets;
    this.#buckets = buckets;
    this.#series = series;
    this.#counts = new Float64Array(buckets * series);
    this.#epochs = new Float64Array(buckets).fill(-Infinity);
  }

  /** Counts `n` (default 1) events of `series` now. */
  add(series: number, n = 1): void {
    const epoch = this.#epoch();
    // Non-negative even for times before 1970, which only tests use.
    const slot = ((epoch % this.#buckets) + this.#buckets) % this.#buckets;
    if (this.#epochs[slot] !== epoch) {
      this.#epochs[slot] = epoch;
      this.#counts.fill(0, slot * this.#series, (slot + 1) * this.#series);
    }
    this.#counts[slot * this.#series + series]! += n;
  }

  /** The events of `series` counted within the window. */
  total(series: number): number {
    const oldest = this.#epoch() - this.#buckets;
    let sum = 0;
    for (let slot = 0; slot < this.#buckets; slot++) {
      if (this.#epochs[slot]! > oldest) sum += this.#counts[slot * this.#series + series]!;
    }
    return sum;
  }

  /** Forgets every event. */
  reset(): void {
    this.#epochs.fill(-Infinity);
  }

  /**
   * The current bucket number. It never goes back: when the clock is stepped back (NTP), events
   * keep landing in the newest bucket rather than in slots that now hold newer counts.
   */
  #epoch(): number {
    const epoch = Math.floor(this.#clock.now() / this.#bucketMs);
    if (epoch > this.#latest) this.#latest = epoch;
    return this.#latest;
  }
}
