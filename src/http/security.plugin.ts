import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

export interface SecurityOptions {
  /** Origins allowed to call the API from a browser, with credentials. Never `*`. */
  trustedOrigins: readonly string[];
  /** HSTS only makes sense when clients reach us over TLS (here or at a proxy in front). */
  servedOverTls: boolean;
}

/**
 * The security headers of the cheat sheet on every response (helmet: CSP, HSTS over TLS,
 * X-Content-Type-Options, X-Frame-Options, Referrer-Policy...), CORS from an allow-list (credentials
 * allowed, so never a wildcard), and cookie parsing for the refresh cookie.
 */
export async function registerSecurity(app: FastifyInstance, options: SecurityOptions): Promise<void> {
  await app.register(cookie);
  await app.register(helmet, {
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
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    // QR images and redirects are meant to be used from other sites.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });
  const allowed = new Set(options.trustedOrigins);
  await app.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: ['RateLimit', 'RateLimit-Policy', 'Retry-After', 'X-Request-Id', 'Location'],
    maxAge: 600,
  });
}
