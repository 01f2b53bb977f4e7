import { BlockList, isIP } from 'node:net';
import { LinkInputError } from './links.errors.js';

/**
 * Addresses that reach the machine a link is opened on: loopback (127.0.0.0/8, ::1), "this host"
 * (0.0.0.0/8, ::), and their IPv4-mapped IPv6 forms (BlockList matches those against the IPv4 rules).
 */
const LOCAL_ADDRESSES = new BlockList();
LOCAL_ADDRESSES.addSubnet('127.0.0.0', 8, 'ipv4');
LOCAL_ADDRESSES.addSubnet('0.0.0.0', 8, 'ipv4');
LOCAL_ADDRESSES.addAddress('::1', 'ipv6');
LOCAL_ADDRESSES.addAddress('::', 'ipv6');

/**
 * Whether a (WHATWG-parsed, so already canonical: `0x7f.1` and `2130706433` read as 127.0.0.1,
 * `[::ffff:127.0.0.1]` as `[::ffff:7f00:1]`) hostname is this machine: a loopback or unspecified
 * address, or `localhost` and its subdomains (RFC 6761), trailing dot or not.
 */
export function isLocalHostname(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  const ip = name.replace(/^\[|\]$/g, '');
  const family = isIP(ip);
  if (family !== 0) return LOCAL_ADDRESSES.check(ip, family === 6 ? 'ipv6' : 'ipv4');
  return name === 'localhost' || name.endsWith('.localhost');
}

export interface UrlPolicy {
  maxLength: number;
  /** `host[:port]` values of this service; links to them would loop. */
  selfHosts: ReadonlySet<string>;
  /** Ports this service answers on (public URL's, listening ones): on a loopback host, they are this service too. */
  selfPorts: ReadonlySet<string>;
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
  // This service under any spelling (its public host, with or without a trailing dot or default
  // port, or any loopback address): such a link could point at another link, and two at each other.
  const host = url.host.toLowerCase();
  const port = url.port === '' ? defaultPort(url.protocol) : url.port;
  if (policy.selfHosts.has(host) || policy.selfHosts.has(host.replace(/\.(?=:|$)/, '')) || (isLocalHostname(url.hostname) && policy.selfPorts.has(port))) {
    throw new LinkInputError('url_self', 'Links to this service itself are refused, under any name or loopback address (they could loop)', field);
  }
  if (url.href.length > policy.maxLength) throw new LinkInputError('url_too_long', `The URL is longer than ${policy.maxLength} characters once encoded`, field);
  return url.href;
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

/** The ports of a public URL and of the listening sockets, as URL ports are written. */
export function selfPortsOf(publicUrl: string, listening: readonly number[]): Set<string> {
  const u = new URL(publicUrl);
  return new Set([u.port === '' ? defaultPort(u.protocol) : u.port, ...listening.filter((p) => p > 0).map(String)]);
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
