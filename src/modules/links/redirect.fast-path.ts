import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../platform/clock/index.js';
import type { ClickSink } from './links.model.js';
import type { LinksService } from './links.service.js';

/** What a fast path needs of the HTTP layer (see FastPathSlot). */
export interface RedirectFastPathOptions {
  links: Pick<LinksService, 'resolveNow'>;
  clicks: ClickSink;
  clock: Clock;
  /** Seconds browsers may cache a 301. */
  permanentMaxAge: number;
  /** Static GET routes: their paths are theirs, never a code's. */
  staticPaths: ReadonlySet<string>;
  ipOf(req: IncomingMessage): string;
  /** The caller's X-Request-Id when usable, echoed. */
  givenRequestId(req: IncomingMessage): string | undefined;
  /** Headers every answer carries (the security headers). */
  headers: readonly (readonly [string, string])[];
  /** The rate limits of `GET /:code`, decided now; undefined: Fastify answers (see RouteLimits.decideNow). */
  limits?: ((req: IncomingMessage, ip: string) => readonly [string, string][] | undefined) | undefined;
  /** Told each answer, as the request-context plugin tells the HTTP metrics. */
  observe(method: string, status: number, seconds: number): void;
}

// A code as the router would give it to `/:code`: one path segment of code characters (aliases
// and generated codes alike), an optional query string after it.
const CODE = /^\/([A-Za-z0-9_-]{1,64})(?:\?|$)/;

/**
 * `GET /{code}` for a code whose target this process holds, answered before Fastify routes the
 * request: a regular expression, a map lookup, the rate-limit decision when limits apply, the
 * click buffered, and one `writeHead`. Everything else (a miss, an expired or unknown code, a
 * preview `+`, a request with credentials, a limit that refuses or holds) goes to the Fastify
 * route, which answers as before. What this path does not do per request, it does not need: a
 * request id (the caller's is echoed, none is generated: nothing is logged for a redirect that
 * succeeds), a span (off when tracing is on), an access-log line (off when ACCESS_LOG=all).
 */
export function redirectFastPath(options: RedirectFastPathOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { links, clicks, clock, staticPaths, ipOf, givenRequestId, limits, observe } = options;
  const permanentCache = `public, max-age=${options.permanentMaxAge}`;
  const fixed = options.headers.flat();
  return (req, res) => {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const url = req.url!;
    const match = CODE.exec(url);
    if (match === null || req.headers.authorization !== undefined) return false;
    const code = match[1]!;
    if (staticPaths.has(`/${code}`)) return false;
    const target = links.resolveNow(code);
    if (target === undefined) return false;
    const started = performance.now();
    const ip = ipOf(req);
    const limited = limits === undefined ? [] : limits(req, ip);
    if (limited === undefined) return false;
    clicks.record({ code, at: clock.now(), ip, userAgent: req.headers['user-agent'], referrer: req.headers.referer, head: method === 'HEAD' });
    // A 302 must come back to us for every click to count.
    const headers = [...fixed, 'location', target.url, 'cache-control', target.redirect === 301 ? permanentCache : 'private, no-cache', 'content-length', '0'];
    const requestId = givenRequestId(req);
    if (requestId !== undefined) headers.push('x-request-id', requestId);
    for (const [name, value] of limited) headers.push(name, value);
    res.writeHead(target.redirect, headers);
    res.end();
    observe(method, target.redirect, (performance.now() - started) / 1000);
    return true;
  };
}
