import { describe, expect, it } from 'vitest';
import { halfSipHash } from './half-siphash.js';

/** The output as the reference implementation prints it: little-endian bytes in hex. */
const hex = (h: number) => Buffer.from([h & 255, (h >>> 8) & 255, (h >>> 16) & 255, h >>> 24]).toString('hex');

describe('halfSipHash', () => {
  // Key 00 01 .. 07, message 00 01 .. (n-1): the first vectors of the reference's vectors_hsip32.
  const key = Buffer.from([0, 1, 2, 3, 4, 5, 6, 7]);
  /** The message as words: bytes 0..n-1, little-endian, zero-padded. */
  const words = (bytes: number[]) => Array.from({ length: Math.ceil(bytes.length / 4) }, (_, w) => Buffer.from([...bytes, 0, 0, 0].slice(w * 4, w * 4 + 4)).readUInt32LE(0));
  const hash = (n: number) => hex(halfSipHash(key.readUInt32LE(0), key.readUInt32LE(4), words(Array.from({ length: n }, (_, i) => i)), n));

  it('matches the reference test vectors (messages of 0 to 11 bytes: the tail and the whole-word paths)', () => {
    const vectors = ['a9359f5b', '27475ab8', 'fa62a603', '8afee704', '2a6e4689', 'c5fab669', '5863fc23', '8bcf63c5', 'd0b8848f', 'f806e779', '94b07934', '08083050'];
    expect(vectors.map((_, n) => hash(n))).toEqual(vectors);
  });

  it('depends on every key and message bit', () => {
    const base = halfSipHash(1, 2, [0x04030201, 5], 5);
    expect(halfSipHash(1 ^ (1 << 31), 2, [0x04030201, 5], 5)).not.toBe(base);
    expect(halfSipHash(1, 3, [0x04030201, 5], 5)).not.toBe(base);
    expect(halfSipHash(1, 2, [0x04030201, 4], 5)).not.toBe(base);
    // The length is hashed: a trailing zero byte is a different message; bits past the length are not read.
    expect(halfSipHash(1, 2, [0x04030201, 5], 6)).not.toBe(base);
    expect(halfSipHash(1, 2, [0x04030201, 0xff00_0005], 5)).toBe(base);
  });
});
