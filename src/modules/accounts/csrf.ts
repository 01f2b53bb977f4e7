import type { IncomingHttpHeaders } from 'node:http';

/** The origin of a URL, or null when it is not an absolute http(s) URL. */
function originOf(value: string): string | null {
  if (!URL.canParse(value)) return null;
  const url = new URL(value);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
}

/**
 * True when a request may be acted upon on the strength of a cookie: its `Origin` is trusted, or,
 * without Origin, its `Referer` is from a trusted origin. With neither, or `Origin: null`
 * (sandboxed frames, some redirects), it is refused: the browser always sends one of them on a
 * cross-site POST, and a same-site application can make sure it sends Origin (fetch does).
 */
export function isTrustedOrigin(headers: IncomingHttpHeaders, trusted: ReadonlySet<string>): boolean {
  const origin = headers.origin;
  if (origin !== undefined) {
    // Browsers send the serialised origin exactly; anything else (a path, `null`) is not one.
    return originOf(origin) === origin && trusted.has(origin);
  }
  const referer = headers.referer;
  if (referer === undefined) return false;
  const refererOrigin = originOf(referer);
  return refererOrigin !== null && trusted.has(refererOrigin);
}

/** The trusted origins in the form compared (URL origin serialisation). */
export function trustedOriginSet(origins: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const o of origins) {
    const normalised = originOf(o);
    if (normalised !== null) set.add(normalised);
  }
  return set;
}
