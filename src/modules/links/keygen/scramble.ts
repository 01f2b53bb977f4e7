import { createHmac } from 'node:crypto';

/**
 * Rounds of the Feistel network. Four already give a pseudo-random permutation in theory
 * (Luby–Rackoff), but the halves here are small (21 bits for 7-character codes) and the bounds
 * degrade with the half size, so we pay for a few more: ~8 HMACs per code is still microseconds.
 */
const ROUNDS = 8;

/** HMAC-SHA256 yields 256 bits; one half must fit in one round output. */
const MAX_HALF_BITS = 256;

/**
 * A keyed, reversible permutation of [0, 62^length): feeds sequential counter values in and gets
 * codes out that look random, so nobody can walk the key space by incrementing a code, while the
 * mapping stays a bijection (no collisions, no storage) and is undone with {@link decode}.
 *
 * Construction: a balanced Feistel network over the smallest even bit width 2h with 2^(2h) >= 62^L
 * (each half h bits), round function = first bits of HMAC-SHA256(secret, round || half). Its
 * domain is a power of two larger than 62^L, so results outside the range are fed through again
 * (cycle-walking) until they land inside; that keeps a permutation of exactly [0, 62^L) and
 * needs at most 2^(2h) / 62^L (< 4, about 1.25 for L = 7) passes on average.
 *
 * It hides order, not data: anyone holding the secret can decode every code. It is not meant to
 * resist an attacker who sees many (input, output) pairs — it only makes codes not enumerable.
 */
export class Scrambler {
  /** Number of base62 digits the domain covers. */
  readonly length: number;
  /** 62^length: encode and decode accept and return values in [0, domain). */
  readonly domain: bigint;
  private readonly key: Buffer;
  private readonly halfBits: number;
  private readonly halfMask: bigint;
  private readonly halfBytes: number;
  /** Reused for the round function's input to avoid one allocation per round. */
  private readonly input: Buffer;

  constructor(secret: string | Buffer, length = 7) {
    if (!Number.isInteger(length) || length < 1) throw new RangeError(`Scrambler: length must be a positive integer, got ${length}`);
    const key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
    // An empty key makes the permutation public, which defeats the point of scrambling.
    if (key.length === 0) throw new RangeError('Scrambler: the secret must not be empty');
    this.length = length;
    this.domain = 62n ** BigInt(length);
    const bits = (this.domain - 1n).toString(2).length;
    this.halfBits = Math.ceil(bits / 2);
    if (this.halfBits > MAX_HALF_BITS) throw new RangeError(`Scrambler: length ${length} is too large`);
    this.halfMask = (1n << BigInt(this.halfBits)) - 1n;
    this.halfBytes = Math.ceil(this.halfBits / 8);
    this.key = key;
    // Layout: [length, round, half big-endian]. The length is included so scramblers of different
    // lengths sharing a secret give unrelated permutations.
    this.input = Buffer.alloc(2 + this.halfBytes);
    this.input[0] = length & 0xff;
  }

  /** Maps `n` in [0, domain) to its scrambled value in [0, domain). */
  encode(n: bigint): bigint {
    this.check(n, 'encode');
    let x = n;
    do x = this.forward(x);
    while (x >= this.domain);
    return x;
  }

  /** Inverse of {@link encode}. */
  decode(c: bigint): bigint {
    this.check(c, 'decode');
    let x = c;
    do x = this.backward(x);
    while (x >= this.domain);
    return x;
  }

  private check(v: bigint, op: string): void {
    if (typeof v !== 'bigint' || v < 0n || v >= this.domain) {
      throw new RangeError(`Scrambler.${op}: ${String(v)} is outside [0, 62^${this.length})`);
    }
  }

  private forward(x: bigint): bigint {
    let left = x >> BigInt(this.halfBits);
    let right = x & this.halfMask;
    for (let round = 0; round < ROUNDS; round++) {
      const next = left ^ this.round(round, right);
      left = right;
      right = next;
    }
    return (left << BigInt(this.halfBits)) | right;
  }

  private backward(x: bigint): bigint {
    let left = x >> BigInt(this.halfBits);
    let right = x & this.halfMask;
    for (let round = ROUNDS - 1; round >= 0; round--) {
      const prev = right ^ this.round(round, left);
      right = left;
      left = prev;
    }
    return (left << BigInt(this.halfBits)) | right;
  }

  /** F(round, half) = HMAC-SHA256(key, length || round || half), first bytes, masked to halfBits. */
  private round(round: number, half: bigint): bigint {
    const input = this.input;
    input[1] = round;
    let v = half;
    for (let i = input.length - 1; i >= 2; i--) {
      input[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    const digest = createHmac('sha256', this.key).update(input).digest();
    let out = 0n;
    for (let i = 0; i < this.halfBytes; i++) out = (out << 8n) | BigInt(digest[i] ?? 0);
    return out & this.halfMask;
  }
}
