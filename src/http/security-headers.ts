import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

export interface SecurityHeaderOptions {
  /** HSTS only makes sense when clients reach us over TLS (here or at a proxy in front). */
  servedOverTls: boolean;
}

/**
 * The security headers of the cheat sheet (CSP, X-Frame-Options, X-Content-Type-Options, HSTS over
 * TLS, Referrer-Policy, X-XSS-Protection: 0), as helmet writes them, computed once at start. Run as
 * middleware helmet rebuilds the CSP string and calls setHeader a dozen times on every response
 * (measured at several µs per redirect); the values never change, so they are captured here and
 * set together with the request id. Helmet's extra headers meant for HTML applications
 * (cross-origin isolation, DNS prefetch, download options) are left out of an API's answers.
 */
export function securityHeaders(options: SecurityHeaderOptions): Readonly<Record<string, string>> {
  const middleware = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        // Swagger UI sets styles inline.
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
      },
    },
    strictTransportSecurity: options.servedOverTls ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    xContentTypeOptions: true,
    xXssProtection: true,
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: false,
    crossOriginEmbedderPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xPoweredBy: false,
  });
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader() {},
  };
  let called = false;
  middleware({} as IncomingMessage, response as unknown as ServerResponse, () => {
    called = true;
  });
  // helmet is synchronous for static options; anything else would make these headers incomplete.
  if (!called) throw new Error('helmet did not complete synchronously');
  return Object.freeze(headers);
}
