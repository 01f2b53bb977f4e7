import { OOB_REDIRECT_URI } from './oauth.model.js';

const MAX_REDIRECT_URIS = 10;
const MAX_URI_LENGTH = 2000;
/** Schemes a browser must never be sent to with a code. */
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:']);
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Checks registered redirect URIs (RFC 9700 §2.1, §4.1.3): absolute, no fragment; https, http
 * only to the loopback interface (native apps, RFC 8252 §7.3), a private-use scheme of a native
 * app (RFC 8252 §7.1), or the out-of-band URN. Returns the problem, or null when all are fine.
 */
export function redirectUriProblem(uris: readonly string[]): string | null {
  if (uris.length === 0) return 'redirect_uris must name at least one URI';
  if (uris.length > MAX_REDIRECT_URIS) return `At most ${MAX_REDIRECT_URIS} redirect URIs`;
  for (const uri of uris) {
    if (uri === OOB_REDIRECT_URI) continue;
    if (uri.length > MAX_URI_LENGTH) return 'A redirect URI is too long';
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return `Not an absolute URI: ${uri.slice(0, 100)}`;
    }
    if (url.hash !== '' || uri.includes('#')) return 'A redirect URI must not have a fragment';
    if (FORBIDDEN_SCHEMES.has(url.protocol)) return `The scheme ${url.protocol} is not allowed`;
    if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) return 'http redirect URIs are allowed to the loopback interface only; use https';
    if (url.username !== '' || url.password !== '') return 'A redirect URI must not carry credentials';
  }
  return null;
}

/** Mastodon's `redirect_uris`: one string of URIs separated by newlines (or spaces), or an array. */
export function parseRedirectUris(value: string | readonly string[]): string[] {
  const list = typeof value === 'string' ? value.split(/[\s]+/) : value.flatMap((v) => v.split(/[\s]+/));
  return [...new Set(list.filter((u) => u !== ''))];
}

/** `redirect_uri` with the answer's parameters added (keeping any query the client registered). */
export function redirectWith(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.append(k, v);
  return url.toString();
}
