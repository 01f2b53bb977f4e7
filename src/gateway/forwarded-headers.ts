import type { IncomingHttpHeaders } from 'node:http';

/** Per-connection headers (RFC 9110 §7.6.1) and ones the proxy sets itself: never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'expect', 'content-length', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id', 'forwarded']);

export interface ForwardedFrom {
  /** The client's address (the TCP peer). */
  peer: string;
  protocol: string;
  host: string;
  requestId: string;
  /** Trusted proxies are configured: the client's X-Forwarded-For is kept and the peer appended. */
  appendForwardedFor: boolean;
}

/** The client's request headers as the API should see them: hop-by-hop ones dropped, X-Forwarded-* and the request id set. */
export function forwardedHeaders(given: IncomingHttpHeaders, from: ForwardedFrom): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const name in given) {
    const value = given[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  const prior = given['x-forwarded-for'];
  headers['x-forwarded-for'] = from.appendForwardedFor && typeof prior === 'string' && prior !== '' ? `${prior}, ${from.peer}` : from.peer;
  headers['x-forwarded-proto'] = from.protocol;
  headers['x-forwarded-host'] = from.host;
  headers['x-request-id'] = from.requestId;
  return headers;
}
