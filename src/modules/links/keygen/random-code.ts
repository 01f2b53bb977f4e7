import { randomBytes } from 'node:crypto';
import { BASE62_ALPHABET } from './base62.js';

/** 248 = 4 · 62: bytes below it map onto the alphabet evenly, the 8 above are redrawn. */
const ACCEPT_BELOW = 248;

/**
 * `count` random base62 codes of `length` characters, each character uniform over the alphabet
 * (rejection sampling on crypto-random bytes, so no modulo bias).
 */
export function randomCodes(count: number, length: number): string[] {
  const codes: string[] = [];
  let pool = randomBytes(0);
  let at = 0;
  for (let c = 0; c < count; c++) {
    let code = '';
    while (code.length < length) {
      if (at >= pool.length) {
        // ~3% of bytes are rejected; draw a little extra so one refill usually suffices.
        pool = randomBytes(Math.max(64, Math.ceil((count - c) * length * 1.05)));
        at = 0;
      }
      const byte = pool[at++] ?? 255;
      if (byte < ACCEPT_BELOW) code += BASE62_ALPHABET[byte % 62];
    }
    codes.push(code);
  }
  return codes;
}
