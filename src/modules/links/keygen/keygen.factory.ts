import type { SqlDatabase } from '../../../platform/sql/index.js';
import { CounterKeyGenerator } from './counter.keygen.js';
import { HashKeyGenerator } from './hash.keygen.js';
import type { KeyGenerator, KeyStrategy } from './keygen.port.js';
import { PoolKeyGenerator } from './pool.keygen.js';
import { Scrambler } from './scramble.js';

/** Configuration of {@link createKeyGenerator}; each strategy reads only its own fields. */
export interface KeyGeneratorConfig {
  strategy: KeyStrategy;
  /** counter: scramble counter values with this secret (fixed-length, non-walkable codes). */
  scrambleSecret?: string;
  /** counter: values leased per database round trip. */
  blockSize?: number;
  /** Code length for hash, pool and scrambled counter (default 7); a plain counter grows freely. */
  codeLength?: number;
  /** pool: size the background refill tops up to. */
  poolTargetSize?: number;
  /** pool: size below which the background refill runs. */
  poolLowWatermark?: number;
  /** hash: salt mixed into every hash. */
  hashSalt?: string;
}

/**
 * Builds the configured generator over `sql` (which must have run `keygenMigrations`). Call
 * `start?.()` after building and `stop?.()` before closing the database.
 */
export function createKeyGenerator(sql: SqlDatabase<unknown>, options: KeyGeneratorConfig): KeyGenerator {
  switch (options.strategy) {
    case 'counter':
      return new CounterKeyGenerator(sql, {
        blockSize: options.blockSize,
        scrambler: options.scrambleSecret === undefined ? undefined : new Scrambler(options.scrambleSecret, options.codeLength ?? 7),
      });
    case 'hash':
      return new HashKeyGenerator({ length: options.codeLength, salt: options.hashSalt });
    case 'pool':
      return new PoolKeyGenerator(sql, {
        length: options.codeLength,
        targetSize: options.poolTargetSize,
        lowWatermark: options.poolLowWatermark,
      });
    default: {
      const unknown: never = options.strategy;
      throw new Error(`unknown key strategy: ${String(unknown)}`);
    }
  }
}
