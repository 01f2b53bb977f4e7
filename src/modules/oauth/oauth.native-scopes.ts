import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ForbiddenError } from '../../shared/errors/index.js';
import { InsufficientScopeError } from './oauth.errors.js';

/** A native route family and the granular scopes that let an app call it (reads, writes). */
interface NativeRule {
  route: RegExp;
  read: string;
  write: string;
}

/**
 * Blueprint's own API under Mastodon's scope names, by route: what each family reads and writes.
 * Routes not listed need the broad `read` or `write` (links, stats...); account management
 * (sign-in, API keys, authorized apps, operators' routes) is never open to an app's token.
 */
const RULES: readonly NativeRule[] = [
  { route: /^\/api\/v1\/users\/[^/]+\/follow$/, read: 'read:follows', write: 'write:follows' },
  { route: /^\/api\/v1\/users\/[^/]+\/(followers|following)$/, read: 'read:accounts', write: 'write:follows' },
  { route: /^\/api\/v1\/tweets\/[^/]+\/like$/, read: 'read:favourites', write: 'write:favourites' },
  { route: /^\/api\/v1\/(tweets|timeline|stream)(\/|$)/, read: 'read:statuses', write: 'write:statuses' },
  { route: /^\/api\/v1\/users\/[^/]+\/tweets$/, read: 'read:statuses', write: 'write:statuses' },
  { route: /^\/api\/v1\/(users\/[^/]+|me)$/, read: 'read:accounts', write: 'write:accounts' },
  { route: /^\/api\/v1\/search$/, read: 'read:search', write: 'write:statuses' },
  { route: /^\/api\/v1\/notifications(\/|$)/, read: 'read:notifications', write: 'write:notifications' },
];
const FIRST_PARTY_ONLY = /^\/api\/v1\/(auth|api-keys|oauth|admin)(\/|$)/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The scopes a native route needs from an app's token: any one of them, or null when no app may call it. */
export function nativeScopesFor(method: string, route: string): string[] | null {
  if (FIRST_PARTY_ONLY.test(route)) return null;
  const reading = SAFE_METHODS.has(method);
  const rule = RULES.find((r) => r.route.test(route));
  if (rule === undefined) return [reading ? 'read' : 'write'];
  return [reading ? rule.read : rule.write];
}

/**
 * Holds OAuth tokens on the native API to their scopes (in the scope it is registered in; first-party
 * credentials, JWTs and API keys, are not concerned). Runs before the handler, after authentication.
 */
export function enforceNativeScopes(api: FastifyInstance): void {
  api.addHook('preHandler', async (request: FastifyRequest) => {
    const access = request.principal?.oauth;
    if (access === undefined) return;
    const needed = nativeScopesFor(request.method, request.routeOptions.url ?? request.url);
    if (needed === null) throw new ForbiddenError('This is managed with your own session, not an app’s token', 'first_party_only');
    // `read`/`write` alone: only the broad scope covers a route Mastodon has no name for.
    const allowed = needed[0] === 'read' || needed[0] === 'write' ? access.scope.split(' ').includes(needed[0]) : access.allows(...needed);
    if (!allowed) throw new InsufficientScopeError(needed);
  });
}
