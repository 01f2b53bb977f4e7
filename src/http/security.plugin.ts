import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/**
 * What browsers calling the API need, registered in the API's own scope (redirects pay nothing for
 * it): CORS from an allow-list (credentials allowed, so never a wildcard) and cookie parsing for the
 * refresh cookie.
 */
export async function registerBrowserAccess(api: FastifyInstance, options: { trustedOrigins: readonly string[] }): Promise<void> {
  await api.register(cookie);
  const allowed = new Set(options.trustedOrigins);
  await api.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: ['RateLimit', 'RateLimit-Policy', 'Retry-After', 'X-Request-Id', 'Location'],
    maxAge: 600,
  });
}
