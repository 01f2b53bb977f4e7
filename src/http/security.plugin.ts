import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../shared/errors/index.js';

/**
 * What browsers calling the API need, registered in the API's own scope (redirects pay nothing for
 * it): CORS from an allow-list (credentials allowed, so never a wildcard) and cookie parsing for the
 * refresh cookie.
 */
export async function registerBrowserAccess(api: FastifyInstance, options: { trustedOrigins: readonly string[] }): Promise<void> {
  await api.register(cookie);
  // @fastify/cors answers a preflight without Origin or Access-Control-Request-Method with a
  // text/plain 400 of its own: refused here first, in the shape of every other error.
  api.addHook('onRequest', (request, _reply, done) => {
    if (request.method === 'OPTIONS' && (request.headers.origin === undefined || request.headers['access-control-request-method'] === undefined)) {
      done(new AppError('invalid_preflight', 400, 'A preflight request needs Origin and Access-Control-Request-Method'));
      return;
    }
    done();
  });
  const allowed = new Set(options.trustedOrigins);
  await api.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: ['RateLimit', 'RateLimit-Policy', 'Retry-After', 'X-Request-Id', 'Location'],
    maxAge: 600,
  });
}
