/**
 * HalfSipHash-2-4 with a 32-bit output (Aumasson and Bernstein's SipHash on 32-bit words, the
 * variant the Linux kernel keys its hash tables with): a keyed pseudo-random function of short
 * inputs, here the Feistel round function of the code scrambler, in plain integer arithmetic
 * (tens of ns, where an HMAC-SHA256 costs ~3.4 µs through OpenSSL). `k0`, `k1`: the 64-bit key
 * as two little-endian 32-bit words; the message as little-endian 32-bit words and its length in
 * bytes (the bytes past the last whole word are in the low bits of `words[last]`). Checked
 * against the reference implementation's test vectors. (npm's `siphash` has the 64-bit variant
 * only, untyped, with an object allocated per operation.)
 */
export function halfSipHash(k0: number, k1: number, words: ArrayLike<number>, byteLength: number): number {
  let v0 = k0 | 0;
  let v1 = k1 | 0;
  let v2 = (0x6c796765 ^ k0) | 0;
  let v3 = (0x74656462 ^ k1) | 0;
  const whole = byteLength >>> 2;
  // The last block: the tail bytes, the length in the top byte.
  const last = (whole < words.length ? words[whole]! & ((1 << ((byteLength & 3) * 8)) - 1) : 0) | (byteLength << 24);
  // One SipRound, written out where it is used: a helper closing over v0..v3 would keep them in a heap context.
  for (let i = 0; i <= whole; i++) {
    const m = i < whole ? words[i]! | 0 : last;
    v3 ^= m;
    for (let r = 0; r < 2; r++) {
      v0 = (v0 + v1) | 0; v1 = ((v1 << 5) | (v1 >>> 27)) ^ v0; v0 = (v0 << 16) | (v0 >>> 16);
      v2 = (v2 + v3) | 0; v3 = ((v3 << 8) | (v3 >>> 24)) ^ v2;
      v0 = (v0 + v3) | 0; v3 = ((v3 << 7) | (v3 >>> 25)) ^ v0;
      v2 = (v2 + v1) | 0; v1 = ((v1 << 13) | (v1 >>> 19)) ^ v2; v2 = (v2 << 16) | (v2 >>> 16);
    }
    v0 ^= m;
  }
  v2 ^= 0xff;
  for (let r = 0; r < 4; r++) {
    v0 = (v0 + v1) | 0; v1 = ((v1 << 5) | (v1 >>> 27)) ^ v0; v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0; v3 = ((v3 << 8) | (v3 >>> 24)) ^ v2;
    v0 = (v0 + v3) | 0; v3 = ((v3 << 7) | (v3 >>> 25)) ^ v0;
    v2 = (v2 + v1) | 0; v1 = ((v1 << 13) | (v1 >>> 19)) ^ v2; v2 = (v2 << 16) | (v2 >>> 16);
  }
  return (v1 ^ v3) >>> 0;
}
