/**
 * Base62: the digits 0-9, then a-z, then A-Z, so digit value = index in {@link BASE62_ALPHABET}
 * ('0' = 0, '9' = 9, 'a' = 10, 'z' = 35, 'A' = 36, 'Z' = 61).
 *
 * Ordering: without padding, a longer code is always a larger number; among codes of the same
 * length, numeric order is lexicographic order *by alphabet index*. That is not byte/ASCII order
 * (ASCII puts 'A'-'Z' before 'a'-'z'), so `ORDER BY code` in SQL or `Array.prototype.sort()` do not
 * sort codes numerically; decode first, or compare with {@link compareBase62}.
 */
export const BASE62_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

const BASE = 62n;

// charCode -> digit value, -1 for characters outside the alphabet.
const DIGIT_OF = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < BASE62_ALPHABET.length; i++) table[BASE62_ALPHABET.charCodeAt(i)] = i;
  return table;
})();

function digitOf(char: number): number {
  return char < 128 ? (DIGIT_OF[char] ?? -1) : -1;
}

/**
 * Encodes a non-negative integer in base62, left-padded with '0' to at least `minLength`
 * characters (never truncated). `0` encodes as "0".
 */
export function encodeBase62(n: bigint | number, minLength = 0): string {
  let value: bigint;
  if (typeof n === 'number') {
    // Above 2^53 a number has already lost digits; refuse rather than encode the wrong value.
    if (!Number.isSafeInteger(n)) throw new RangeError(`encodeBase62: ${n} is not a safe integer`);
    value = BigInt(n);
  } else {
    value = n;
  }
  if (value < 0n) throw new RangeError(`encodeBase62: ${value} is negative`);
  let out = '';
  do {
    out = BASE62_ALPHABET[Number(value % BASE)] + out;
    value /= BASE;
  } while (value > 0n);
  return out.length >= minLength ? out : out.padStart(minLength, '0');
}

/** Decodes a base62 string (see {@link BASE62_ALPHABET}); throws on an empty or foreign string. */
export function decodeBase62(s: string): bigint {
  if (s.length === 0) throw new SyntaxError('decodeBase62: empty string');
  let value = 0n;
  for (let i = 0; i < s.length; i++) {
    const digit = digitOf(s.charCodeAt(i));
    if (digit < 0) throw new SyntaxError(`decodeBase62: invalid character ${JSON.stringify(s[i])} at ${i}`);
    value = value * BASE + BigInt(digit);
  }
  return value;
}

/** True when `s` is a non-empty string made only of base62 characters. */
export function isBase62(s: string): boolean {
  if (typeof s !== 'string' || s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (digitOf(s.charCodeAt(i)) < 0) return false;
  return true;
}

/**
 * Compares two base62 codes by the numbers they encode (-1, 0, 1), leading zeros ignored.
 * Use it instead of string comparison, which follows ASCII rather than the alphabet.
 */
export function compareBase62(a: string, b: string): number {
  const x = decodeBase62(a);
  const y = decodeBase62(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
