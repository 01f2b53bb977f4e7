import { murmur3 } from './murmur3.js';

const DOT = 0x2e;
const COLON = 0x3a;

/**
 * Writes into `out` (16 bytes) the bytes nginx's ip_hash hashes for a client: the first three
 * octets of an IPv4 address (so a /24 sticks to one host), all sixteen of an IPv6 one. IPv4-mapped
 * IPv6 (`::ffff:1.2.3.4`, how Node reports IPv4 clients on a dual-stack socket) counts as IPv4,
 * which nginx does not need since it sees the socket's own family. Brackets and a zone (`%eth0`)
 * are ignored. Anything else is not an address: its murmur3 hash supplies four bytes. Returns the
 * count written. No allocation: it runs on every ip-hash pick.
 */
export function ipHashBytes(key: string, out: Uint8Array): number {
  let from = 0;
  let to = key.length;
  if (key.charCodeAt(0) === 0x5b && key.charCodeAt(to - 1) === 0x5d) {
    from = 1;
    to--;
  }
  const zone = key.indexOf('%', from);
  if (zone >= 0 && zone < to) to = zone;
  if (parseV4(key, from, to, out, 0)) return 3;
  if (parseV6(key, from, to, out)) {
    let mapped = out[10] === 0xff && out[11] === 0xff;
    for (let i = 0; i < 10 && mapped; i++) mapped = out[i] === 0;
    if (!mapped) return 16;
    out.copyWithin(0, 12, 15);
    return 3;
  }
  const h = murmur3(key);
  out[0] = h >>> 24;
  out[1] = (h >>> 16) & 0xff;
  out[2] = (h >>> 8) & 0xff;
  out[3] = h & 0xff;
  return 4;
}

/** Dotted quad in s[from, to) into out[at..at+4); decimal without leading zeros, as net.isIPv4. */
export function parseV4(s: string, from: number, to: number, out: Uint8Array, at: number): boolean {
  let part = 0;
  let i = from;
  while (part < 4) {
    const start = i;
    let value = 0;
    while (i < to && i - start < 3) {
      const d = s.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      value = value * 10 + d;
      i++;
    }
    const digits = i - start;
    if (digits === 0 || value > 255 || (digits > 1 && s.charCodeAt(start) === 0x30)) return false;
    out[at + part++] = value;
    if (part < 4) {
      if (i >= to || s.charCodeAt(i) !== DOT) return false;
      i++;
    }
  }
  return i === to;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** RFC 4291 text form (with `::` and a dotted-quad tail) in s[from, to) into out[0..16). */
export function parseV6(s: string, from: number, to: number, out: Uint8Array): boolean {
  let groups = 0;
  let gap = -1;
  let i = from;
  if (i + 1 < to && s.charCodeAt(i) === COLON && s.charCodeAt(i + 1) === COLON) {
    gap = 0;
    i += 2;
  }
  while (i < to) {
    const start = i;
    let value = 0;
    while (i < to && i - start < 4) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      value = value * 16 + h;
      i++;
    }
    if (i < to && s.charCodeAt(i) === DOT) {
      if (groups > 6 || !parseV4(s, start, to, out, groups * 2)) return false;
      groups += 2;
      i = to;
      break;
    }
    if (i === start || groups === 8) return false;
    out[groups * 2] = value >> 8;
    out[groups * 2 + 1] = value & 0xff;
    groups++;
    if (i === to) break;
    if (s.charCodeAt(i) !== COLON) return false;
    i++;
    if (i < to && s.charCodeAt(i) === COLON) {
      if (gap >= 0) return false;
      gap = groups;
      i++;
    } else if (i === to) {
      return false;
    }
  }
  if (gap < 0) return groups === 8;
  // `::` stands for one group at least.
  if (groups > 7) return false;
  const tail = (groups - gap) * 2;
  out.copyWithin(16 - tail, gap * 2, groups * 2);
  out.fill(0, gap * 2, 16 - tail);
  return true;
}
