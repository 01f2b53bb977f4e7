import type { KeyGenerator, KeyStrategy } from './keygen.port.js';

/** Options of {@link allocateUniqueKey}. */
export interface AllocateOptions {
  /** Tries (reserved codes included) before giving up; default 16. */
  maxAttempts?: number;
  /** Codes never to hand out (routes, reserved words); they are skipped like taken ones. */
  isReserved?: (code: string) => boolean;
}

/** Thrown when {@link allocateUniqueKey} ran out of attempts. */
export class KeyAllocationError extends Error {
  override readonly name = 'KeyAllocationError';

  constructor(
    readonly strategy: KeyStrategy,
    readonly attempts: number,
    readonly taken: number,
    readonly reserved: number,
  ) {
    super(
      `could not allocate a unique short code with the '${strategy}' strategy after ${attempts} attempts ` +
        `(${taken} taken, ${reserved} reserved)`,
    );
  }
}

/**
 * The retry loop around a generator: asks for a code, skips reserved ones, lets `tryInsert`
 * store it under a UNIQUE constraint and, when it answers 'taken', asks again with attempt + 1.
 * Returns what `tryInsert` returned for the code it stored.
 *
 * Every attempt counts, reserved ones included, so a generator stuck on reserved or taken codes
 * ends in a {@link KeyAllocationError} rather than a loop.
 */
export async function allocateUniqueKey<T>(
  generator: KeyGenerator,
  url: string,
  tryInsert: (code: string) => Promise<T | 'taken'>,
  options: AllocateOptions = {},
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 16;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  let taken = 0;
  let reserved = 0;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const code = await generator.next({ url, attempt });
    if (options.isReserved?.(code)) {
      reserved++;
      continue;
    }
    const result = await tryInsert(code);
    if (result !== 'taken') return result;
    taken++;
  }
  throw new KeyAllocationError(generator.strategy, maxAttempts, taken, reserved);
}
