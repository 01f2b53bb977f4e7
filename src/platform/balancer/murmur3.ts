/**
 * MurmurHash3 x86_32 of a string's UTF-8 bytes. The bytes are produced on the fly from UTF-16 code
 * units (surrogate pairs joined, lone surrogates as U+FFFD like TextEncoder), so hashing a key
 * allocates nothing: it runs once per request for the hash policies.
 */
export function murmur3(key: string, seed = 0): number {
  let h = seed >>> 0;
  let block = 0;
  let filled = 0;
  let length = 0;
  for (let i = 0; i < key.length; i++) {
    let c = key.charCodeAt(i);
    // The code point's UTF-8 bytes packed first-byte-lowest, and their count.
    let bytes: number;
    let n: number;
    if (c < 0x80) {
      bytes = c;
      n = 1;
    } else if (c < 0x800) {
      bytes = (0xc0 | (c >> 6)) | ((0x80 | (c & 0x3f)) << 8);
      n = 2;
    } else {
      const next = i + 1 < key.length ? key.charCodeAt(i + 1) : 0;
      if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        bytes = (0xf0 | (c >> 18)) | ((0x80 | ((c >> 12) & 0x3f)) << 8) | ((0x80 | ((c >> 6) & 0x3f)) << 16) | ((0x80 | (c & 0x3f)) << 24);
        n = 4;
      } else {
        if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
        bytes = (0xe0 | (c >> 12)) | ((0x80 | ((c >> 6) & 0x3f)) << 8) | ((0x80 | (c & 0x3f)) << 16);
        n = 3;
      }
    }
    for (let j = 0; j < n; j++) {
      block |= ((bytes >>> (8 * j)) & 0xff) << (8 * filled);
      length++;
      if (++filled === 4) {
        h ^= mixK(block);
        h = (h << 13) | (h >>> 19);
        h = (Math.imul(h, 5) + 0xe6546b64) | 0;
        block = 0;
        filled = 0;
      }
    }
  }
  if (filled > 0) h ^= mixK(block);
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixK(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}
