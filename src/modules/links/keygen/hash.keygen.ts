import { createHash, randomBytes } from 'node:crypto';
import { encodeBase62 } from './base62.js';
import type { KeyGenerator, KeyRequest } from './keygen.port.js';

/** Options of {@link HashKeyGenerator}. */
export interface HashKeyGeneratorOptions {
  /** Code length in base62 characters (default 7). */
  length?: number;
  /** Mixed into every hash so codes cannot be predicted from the URL alone. */
  salt?: string;
}

/**
 * Strategy 2, hash: code = 7 base62 digits of SHA-256(salt, attempt, url). Needs no coordination
 * (any node computes the same code for the same input), but distinct URLs can collide.
 *
 * Collision math: 62^7 ≈ 3.5e12 codes. With n links stored, a new URL hits a taken code with
 * probability n / 62^7 (1 in 3,500 at a billion links), and the caller retries with attempt + 1,
 * which rehashes. By the birthday bound, the first collision anywhere is expected after about
 * sqrt(pi/2 · 62^7) ≈ 2.3 million links, so collisions are routine at scale and the UNIQUE
 * constraint plus retry loop (`allocateUniqueKey`) is what makes the strategy correct.
 *
 * Attempt 0 is deterministic: the first code of a URL is the same on every node. A retry adds a
 * random nonce, so shortening one popular URL many times costs one retry each, not one more per
 * copy (a deterministic sequence would make the k-th copy walk through k taken codes).
 *
 * The digits are taken from the digest reduced modulo 62^length rather than from the front of
 * its full base62 expansion: the leading digit of a 256-bit number is not uniform (2^256 is not a
 * power of 62), the low digits are (bias below 2^-200).
 */
export class HashKeyGenerator implements KeyGenerator {
  readonly strategy = 'hash' as const;
  private readonly length: number;
  private readonly modulus: bigint;
  private readonly salt: string;

  constructor(options: HashKeyGeneratorOptions = {}) {
    const length = options.length ?? 7;
    // 43 base62 digits already exceed the 256 bits of the digest.
    if (!Number.isInteger(length) || length < 1 || length > 42) throw new RangeError(`length must be an integer in [1, 42], got ${length}`);
    this.length = length;
    this.modulus = 62n ** BigInt(length);
    this.salt = options.salt ?? '';
  }

  async next({ url, attempt }: KeyRequest): Promise<string> {
    return attempt === 0 ? this.codeFor(url, 0) : this.codeFor(`${url}#${randomBytes(8).toString('hex')}`, attempt);
  }

  /** The code for (url, attempt); synchronous and pure. */
  codeFor(url: string, attempt: number): string {
    if (!Number.isSafeInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be a non-negative integer, got ${attempt}`);
    // Length-prefixed salt and ':'-terminated attempt make the encoding unambiguous: no
    // (salt, attempt, url) triple can produce the same bytes as another.
    const digest = createHash('sha256').update(`${this.salt.length}:${this.salt}${attempt}:${url}`, 'utf8').digest('hex');
    return encodeBase62(BigInt(`0x${digest}`) % this.modulus, this.length);
  }
}
