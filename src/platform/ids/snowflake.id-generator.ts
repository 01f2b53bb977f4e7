import type { Clock } from '../clock/clock.port.js';
import type { IdGenerator } from './id-generator.port.js';

/** 2026-01-01T00:00:00Z: 41 bits of milliseconds from here last until 2095. */
export const SNOWFLAKE_EPOCH = 1_767_225_600_000;
const WORKER_BITS = 10n;
const SEQUENCE_BITS = 12n;
const MAX_SEQUENCE = (1 << Number(SEQUENCE_BITS)) - 1;
export const MAX_WORKER_ID = (1 << Number(WORKER_BITS)) - 1;

/**
 * Twitter's Snowflake layout: 41 bits of time, 10 bits of worker id, 12 bits of sequence.
 * Uniqueness across processes rests on distinct worker ids. When the clock steps back, or the
 * 4,096 ids of a millisecond run out, the generator borrows from the next millisecond rather than
 * wait, so it never blocks and never repeats.
 */
export class SnowflakeIdGenerator implements IdGenerator {
  readonly #clock: Clock;
  readonly #worker: bigint;
  #lastMs = -1;
  #sequence = 0;

  constructor(clock: Clock, workerId: number) {
    if (!Number.isInteger(workerId) || workerId < 0 || workerId > MAX_WORKER_ID) {
      throw new RangeError(`workerId must be an integer in 0..${MAX_WORKER_ID}`);
    }
    this.#clock = clock;
    this.#worker = BigInt(workerId);
  }

  next(): bigint {
    // At least 1 ms past the epoch: ids stay positive even for a clock set before 2026.
    const now = Math.max(1, this.#clock.now() - SNOWFLAKE_EPOCH);
    if (now > this.#lastMs) {
      this.#lastMs = now;
      this.#sequence = 0;
    } else if (this.#sequence < MAX_SEQUENCE) {
      this.#sequence++;
    } else {
      this.#lastMs++;
      this.#sequence = 0;
    }
    return (BigInt(this.#lastMs) << (WORKER_BITS + SEQUENCE_BITS)) | (this.#worker << SEQUENCE_BITS) | BigInt(this.#sequence);
  }
}

/** The creation time (epoch ms) encoded in a snowflake id. */
export function snowflakeTime(id: bigint): number {
  return Number(id >> (WORKER_BITS + SEQUENCE_BITS)) + SNOWFLAKE_EPOCH;
}
