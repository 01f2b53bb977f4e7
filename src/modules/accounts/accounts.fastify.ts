import type { Principal } from './accounts.model.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the app's authentication hook before routes run; null for anonymous requests. */
    principal: Principal | null;
  }
}
