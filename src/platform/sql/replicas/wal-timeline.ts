/** One reading of the primary's WAL position: every commit acknowledged before `at` lies at or before it. */
interface Sample {
  at: number;
  position: bigint;
}

export interface WalTimelineOptions {
  /** How far back readings are kept, in ms: lags beyond it are reported as "at least" it. */
  retainMs: number;
  /** Most readings kept, whatever their age (default 4096). */
  maxSamples?: number;
}

/**
 * The primary's WAL position over time, read by the prober at regular intervals, which turns a
 * replica's replayed position (bytes) into a staleness (ms): a replica that has replayed the WAL the
 * primary had written at time `t` holds every commit acknowledged before `t`, so its lag is at most
 * `now - t` for the newest such reading. The figure is an upper bound, high by at most one probe
 * interval under a steady write load, and it does not grow on an idle primary, whose position stands
 * still (consecutive equal readings merge into the newest).
 */
export class WalTimeline {
  readonly #retainMs: number;
  readonly #maxSamples: number;
  #samples: Sample[] = [];

  constructor(options: WalTimelineOptions) {
    this.#retainMs = options.retainMs;
    this.#maxSamples = options.maxSamples ?? 4096;
  }

  /** Records that the primary's position was `position` at `at` (read after `at`). */
  record(at: number, position: bigint): void {
    const newest = this.#samples.at(-1);
    if (newest !== undefined && position < newest.position) {
      // The position went back: another server (a failover, a rebuilt primary). Start over.
      this.#samples = [];
    } else if (newest !== undefined && position === newest.position) {
      newest.at = Math.max(newest.at, at);
      return;
    }
    this.#samples.push({ at, position });
    // Keep one reading older than the horizon, so that a lag up to `retainMs` stays exact.
    let drop = 0;
    while (drop + 1 < this.#samples.length && this.#samples[drop + 1]!.at <= at - this.#retainMs) drop++;
    drop = Math.max(drop, this.#samples.length - this.#maxSamples);
    if (drop > 0) this.#samples.splice(0, drop);
  }

  /** The primary's newest known position, if any. */
  get newest(): bigint | undefined {
    return this.#samples.at(-1)?.position;
  }

  /**
   * The time up to which a replica that replayed `replayed` holds every commit: the time of the
   * newest reading at or before `replayed`. When it replayed less than every kept reading, the
   * oldest reading's time, later than the truth (its lag is then at least `now` minus that);
   * undefined before any reading.
   */
  freshAsOf(replayed: bigint): number | undefined {
    for (let i = this.#samples.length - 1; i >= 0; i--) {
      const sample = this.#samples[i]!;
      if (sample.position <= replayed) return sample.at;
    }
    return this.#samples[0]?.at;
  }

  /** How many bytes of WAL the primary had, at its newest reading, that `replayed` lacks (>= 0). */
  bytesBehind(replayed: bigint): number | undefined {
    const newest = this.newest;
    return newest === undefined ? undefined : Number(newest > replayed ? newest - replayed : 0n);
  }

  /** Whether `replayed` holds all the primary had at its newest reading. */
  caughtUp(replayed: bigint): boolean {
    const newest = this.newest;
    return newest !== undefined && replayed >= newest;
  }
}

/** The byte offset of a PostgreSQL LSN in its text form (`16/B374D848`: high and low 32 bits in hex). */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (match === null) throw new Error(`not an LSN: ${JSON.stringify(text)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** The text form of a byte offset in the WAL, as PostgreSQL writes it. */
export function formatLsn(position: bigint): string {
  return `${(position >> 32n).toString(16).toUpperCase()}/${(position & 0xffffffffn).toString(16).toUpperCase()}`;
}
