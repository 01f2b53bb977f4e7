import { isbot } from 'isbot';
import { LRUCache } from 'lru-cache';
import UAParser from 'ua-parser-js';

/** What analytics derives from one user agent string. */
export interface UserAgentInfo {
  bot: boolean;
  browser: string;
  os: string;
  device: string;
}

const parsed = new LRUCache<string, UserAgentInfo>({ max: 10_000 });

/**
 * Parses a user agent once per distinct string (traffic repeats a few thousand strings, and parsing
 * costs tens of microseconds). A missing user agent counts as a bot: browsers always send one.
 */
export function userAgentInfo(ua: string): UserAgentInfo {
  const hit = parsed.get(ua);
  if (hit !== undefined) return hit;
  let info: UserAgentInfo;
  if (ua.trim() === '') {
    info = { bot: true, browser: 'Other', os: 'Other', device: 'other' };
  } else {
    const r = new UAParser(ua).getResult();
    info = {
      bot: isbot(ua),
      browser: r.browser.name ?? 'Other',
      os: r.os.name ?? 'Other',
      // ua-parser leaves desktops untyped.
      device: r.device.type ?? (r.os.name ? 'desktop' : 'other'),
    };
  }
  parsed.set(ua, info);
  return info;
}

/** The referrer's host, `direct` when there is none, `unknown` when it is not a URL. */
export function referrerHost(referrer: string): string {
  if (referrer === '') return 'direct';
  try {
    return new URL(referrer).hostname.toLowerCase().slice(0, 255) || 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Drops the host part of an address before it is stored (as Shlink does): the last octet of
 * IPv4, the last 80 bits of IPv6. Enough for coarse geography, not enough to single a person out.
 */
export function anonymizeIp(ip: string): string {
  // IPv4, or IPv4 mapped into IPv6 (::ffff:a.b.c.d), which is how Node reports IPv4 on a dual stack.
  const dot = ip.lastIndexOf('.');
  if (dot !== -1) {
    const v4 = ip.startsWith('::ffff:') ? ip.slice(7, dot) : ip.slice(0, dot);
    return v4.includes(':') ? ip : `${v4}.0`;
  }
  if (ip.includes(':')) {
    const head = ip.split('::')[0]!.split(':').filter(Boolean).slice(0, 3);
    while (head.length < 3) head.push('0');
    return `${head.join(':')}::`;
  }
  return ip;
}
