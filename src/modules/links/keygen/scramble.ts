import { createHmac } from 'node:crypto';
import { halfSipHash } from './half-siphash.js';

/**
 * Rounds of the Feistel network. Four already give a pseudo-random permutation in theory
 * (Luby–Rackoff), but the halves here are small (21 bits for 7-character codes) and the bounds
 * degrade with the half size, so we pay for a few more: 8 rounds cost ~1 µs per code.
 */
const ROUNDS = 8;

/** A round's output is at most two HalfSipHash outputs (32 bits each): codes of up to 21 characters. */
const MAX_HALF_BITS = 64;

/**
 * A keyed, reversible permutation of [0, 62^length): feeds sequential counter values in and gets
 * codes out that look random, so nobody can walk the key space by incrementing a code, while the
 * mapping stays a bijection (no collisions, no storage) and is undone with {@link decode}.
 *
 * Construction: a balanced Feistel network over the smallest even bit width 2h with 2^(2h) >= 62^L
 * (each half h bits), round function = HalfSipHash-2-4 (a keyed PRF; its 64-bit key is
 * HMAC-SHA256(secret, "blueprint-scramble" || L), taken once) of (L, round, half). Until
 * 2026-12 the round function was HMAC-SHA256 itself, ten HMACs per code (~34 µs, a fifth of a
 * link creation's CPU); codes made then stay valid, and a new code that happens to equal one of
 * them is refused by the table's unique key and drawn again, like any taken code. Its
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
  /** The round function's key, as HalfSipHash takes it. */
  private readonly k0: number;
  private readonly k1: number;
  private readonly halfBits: number;
  private readonly halfMask: bigint;
  /** Reused for the round function's input: [length | round << 8 | word << 16, half low 32 bits, half high 32 bits]. */
  private readonly input = new Uint32Array(3);
  /** The domain fits in a double's 53 bits: the rounds run on numbers, not bigints (7 times faster). */
  private readonly small: boolean;
  private readonly smallDomain: number;
  private readonly smallHalf: number;

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
    // The length is in the key and in every input, so scramblers of different lengths sharing a
    // secret give unrelated permutations.
    const derived = createHmac('sha256', key).update(`blueprint-scramble:${length}`).digest();
    this.k0 = derived.readUInt32LE(0);
    this.k1 = derived.readUInt32LE(4);
    this.small = this.halfBits <= 26;
    this.smallDomain = Number(this.domain);
    this.smallHalf = 2 ** this.halfBits;
  }

  /** Maps `n` in [0, domain) to its scrambled value in [0, domain). */
  encode(n: bigint): bigint {
    this.check(n, 'encode');
    if (this.small) {
      let y = Number(n);
      do y = this.forwardSmall(y);
      while (y >= this.smallDomain);
      return BigInt(y);
    }
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

  /** `forward` on numbers (halves of at most 26 bits: every XOR stays within 32-bit integers). */
  private forwardSmall(x: number): number {
    const half = this.smallHalf;
    let left = Math.floor(x / half);
    let right = x % half;
    for (let round = 0; round < ROUNDS; round++) {
      const next = left ^ this.roundSmall(round, right);
      left = right;
      right = next;
    }
    return left * half + right;
  }

  private roundSmall(round: number, half: number): number {
    const input = this.input;
    input[0] = (this.length & 0xff) | (round << 8);
    input[1] = half;
    input[2] = 0;
    return halfSipHash(this.k0, this.k1, input, 12) & (this.smallHalf - 1);
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

  /** F(round, half) = HalfSipHash(key, length || round || word || half), one or two words, masked to halfBits. */
  private round(round: number, half: bigint): bigint {
    const input = this.input;
    input[0] = (this.length & 0xff) | (round << 8);
    input[1] = Number(half & 0xffffffffn);
    input[2] = Number(half >> 32n);
    let out = BigInt(halfSipHash(this.k0, this.k1, input, 12));
    if (this.halfBits > 32) {
      input[0] |= 1 << 16;
      out |= BigInt(halfSipHash(this.k0, this.k1, input, 12)) << 32n;
    }
    return out & this.halfMask;
  }
}
