import { LinkInputError } from './links.errors.js';

export interface UrlPolicy {
  maxLength: number;
  /** `host[:port]` values of this service; links to them would loop. */
  selfHosts: ReadonlySet<string>;
}

/**
 * Checks a target URL and returns its normalised form (WHATWG serialisation: punycoded host,
 * percent-encoded path, so it is safe to send as a Location header).
 */
export function checkTargetUrl(raw: string, policy: UrlPolicy): string {
  const field = '/url';
  const input = raw.trim();
  if (input.length === 0) throw new LinkInputError('url_invalid', 'The URL is empty', field);
  if (input.length > policy.maxLength) throw new LinkInputError('url_too_long', `The URL is longer than ${policy.maxLength} characters`, field);
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new LinkInputError('url_invalid', 'Not an absolute URL', field);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LinkInputError('url_scheme', `Only http and https URLs can be shortened, not ${url.protocol.replace(/:$/, '')}`, field);
  }
  if (url.username !== '' || url.password !== '') {
    throw new LinkInputError('url_credentials', 'URLs with a user name or password are refused', field);
  }
  if (url.hostname === '' || url.hostname === '.') throw new LinkInputError('url_host', 'The URL has no host', field);
  if (policy.selfHosts.has(url.host.toLowerCase())) {
    throw new LinkInputError('url_self', 'Links to this service itself are refused (they would loop)', field);
  }
  if (url.href.length > policy.maxLength) throw new LinkInputError('url_too_long', `The URL is longer than ${policy.maxLength} characters once encoded`, field);
  return url.href;
}

/** The `host[:port]` forms under which a public URL is reached. */
export function selfHostsOf(publicUrl: string): Set<string> {
  const u = new URL(publicUrl);
  const hosts = new Set([u.host.toLowerCase()]);
  // The same origin with the default port spelled out.
  const defaultPort = u.protocol === 'https:' ? '443' : '80';
  if (u.port === '') hosts.add(`${u.hostname.toLowerCase()}:${defaultPort}`);
  return hosts;
}
