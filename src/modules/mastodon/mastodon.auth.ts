import type { FastifyRequest } from 'fastify';
import { requirePrincipal, type Principal } from '../accounts/index.js';
import { InsufficientScopeError } from '../oauth/index.js';

/**
 * The signed-in user of a Mastodon route that needs one of `scopes` (granular names): an app's
 * token must have been granted one (a broad scope covers its granular ones); the user's own
 * credentials (JWT, API key) may do everything. 401 without credentials, 403 without the scope.
 */
export function requireScope(request: FastifyRequest, ...scopes: string[]): Principal {
  const principal = requirePrincipal(request);
  if (principal.oauth !== undefined && !principal.oauth.allows(...scopes)) throw new InsufficientScopeError(scopes);
  return principal;
}

/** The viewer of a public read, or null. */
export const viewerOf = (request: FastifyRequest): string | null => request.principal?.userId ?? null;

/** The feed's actor of a principal. */
export const actorOf = (principal: Principal) => ({ userId: principal.userId, username: principal.username });
