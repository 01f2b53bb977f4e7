import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {} from '@fastify/cookie';
import type { Clock } from '../../platform/clock/index.js';
import { UnauthorizedError } from '../../shared/errors/index.js';
import './accounts.fastify.js';
import { CsrfOriginError, RefreshRefusedError, SessionRequiredError } from './accounts.errors.js';
import { userView, type IssuedSession, type Principal, type RequestContext } from './accounts.model.js';
import type { AccountsService } from './accounts.service.js';
import type { ApiKeysService } from './api-keys.service.js';
import {
  ApiKeyList,
  ApiKeyParams,
  AuthSession,
  CreateApiKeyBody,
  CreatedApiKeyView,
  Jwks,
  LoginBody,
  Problem,
  RefreshAnswer,
  RefreshTokenBody,
  SignupBody,
  UserView,
} from './accounts.schemas.js';
import { isTrustedOrigin, trustedOriginSet } from './csrf.js';
import type { SigningKeys } from './signing-keys.js';

/**
 * The refresh cookie. `__Host-` makes browsers insist on Secure, Path=/ and no Domain, so that no
 * sibling subdomain or plain-HTTP page can set or shadow it.
 */
export const REFRESH_COOKIE = '__Host-refresh';

export interface AccountsRoutesDeps {
  accounts: AccountsService;
  apiKeys: ApiKeysService;
  keys: () => SigningKeys;
  clock: Clock;
  trustedOrigins: readonly string[];
}

/** The principal of a request; 401 `authentication_required` (with a Bearer challenge) when anonymous. */
export function requirePrincipal(request: FastifyRequest): Principal {
  const principal = request.principal ?? null;
  if (principal === null) throw new UnauthorizedError();
  return principal;
}

const contextOf = (request: FastifyRequest): RequestContext => ({ ip: request.ip, userAgent: request.headers['user-agent'] });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** `/api/v1/auth/*`, `/api/v1/me`, `/api/v1/api-keys*` and `/.well-known/jwks.json`. */
export function accountsRoutes(deps: AccountsRoutesDeps): FastifyPluginAsync {
  const trusted = trustedOriginSet(deps.trustedOrigins);
  const { accounts, apiKeys, clock } = deps;

  const cookieOptions = { path: '/', httpOnly: true, secure: true, sameSite: 'strict' } as const;
  const setRefreshCookie = (reply: FastifyReply, token: string, expiresAt: number) =>
    reply.setCookie(REFRESH_COOKIE, token, { ...cookieOptions, maxAge: Math.max(0, Math.floor((expiresAt - clock.now()) / 1000)) });
  const clearRefreshCookie = (reply: FastifyReply) => reply.clearCookie(REFRESH_COOKIE, cookieOptions);
  const sessionAnswer = (reply: FastifyReply, session: IssuedSession) => {
    setRefreshCookie(reply, session.refreshToken, session.refreshExpiresAt);
    return { user: userView(session.user), accessToken: session.accessToken, expiresIn: session.expiresIn };
  };
  /** The cookie's token, checked against CSRF: a cookie arrives with cross-site requests too. */
  const cookieToken = (request: FastifyRequest): string | undefined => {
    const token = request.cookies?.[REFRESH_COOKIE];
    if (token === undefined || token === '') return undefined;
    if (!isTrustedOrigin(request.headers, trusted)) throw new CsrfOriginError();
    return token;
  };

  // Browsers refresh and log out with the cookie alone: a POST without a body is an empty one.
  const emptyBodyIsObject = async (request: FastifyRequest) => {
    request.body ??= {};
  };

  return async function routes(fastify: FastifyInstance): Promise<void> {
    if (!fastify.hasReplyDecorator('setCookie')) throw new Error('the accounts routes need @fastify/cookie registered before them');
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['accounts'];
    // Tokens, keys and personal data: no cache (browser or shared) may keep an answer of these
    // routes (RFC 6749 §5.1). The public JWKS says otherwise itself.
    app.addHook('onRequest', (_request, reply, done) => {
      reply.header('cache-control', 'no-store');
      done();
    });

    app.post(
      '/api/v1/auth/signup',
      { schema: { tags, summary: 'Create an account and sign in', body: SignupBody, response: { 201: AuthSession, 400: Problem, 409: Problem } } },
      async (request, reply) => {
        const session = await accounts.signup(request.body, contextOf(request));
        return reply.code(201).send(sessionAnswer(reply, session));
      },
    );

    app.post(
      '/api/v1/auth/login',
      { schema: { tags, summary: 'Sign in by username or email', body: LoginBody, response: { 200: AuthSession, 400: Problem, 401: Problem } } },
      async (request, reply) => sessionAnswer(reply, await accounts.login(request.body, contextOf(request))),
    );

    app.post(
      '/api/v1/auth/refresh',
      {
        preValidation: emptyBodyIsObject,
        schema: {
          tags,
          summary: 'New access token, rotated refresh token (cookie, or body for API clients)',
          body: RefreshTokenBody,
          response: { 200: RefreshAnswer, 401: Problem, 403: Problem },
        },
      },
      async (request, reply) => {
        const bodyToken = request.body?.refreshToken;
        if (bodyToken !== undefined) {
          // API client: the token travels in bodies only, and no cookie is set.
          const tokens = await accounts.refresh(bodyToken, contextOf(request));
          return { accessToken: tokens.accessToken, expiresIn: tokens.expiresIn, refreshToken: tokens.refreshToken };
        }
        const token = cookieToken(request);
        if (token === undefined) throw new RefreshRefusedError('refresh_token_missing', 'Send the refresh cookie, or { refreshToken } in the body');
        try {
          const tokens = await accounts.refresh(token, contextOf(request));
          // Browser: the rotated token stays in the HttpOnly cookie, out of reach of scripts.
          setRefreshCookie(reply, tokens.refreshToken, tokens.refreshExpiresAt);
          return { accessToken: tokens.accessToken, expiresIn: tokens.expiresIn };
        } catch (error) {
          if (error instanceof RefreshRefusedError) clearRefreshCookie(reply);
          throw error;
        }
      },
    );

    app.post(
      '/api/v1/auth/logout',
      { preValidation: emptyBodyIsObject, schema: { tags, summary: 'End the session (refresh cookie, body token or access token)', body: RefreshTokenBody, response: { 204: { type: 'null' }, 403: Problem } } },
      async (request, reply) => {
        const refreshToken = request.body?.refreshToken ?? cookieToken(request);
        const principal = request.principal ?? null;
        await accounts.logout(
          principal?.via === 'jwt' ? { refreshToken, userId: principal.userId, sessionId: principal.sessionId } : { refreshToken },
          contextOf(request),
        );
        clearRefreshCookie(reply);
        return reply.code(204).send();
      },
    );

    app.get(
      '/api/v1/me',
      { schema: { tags, summary: 'The signed-in user', response: { 200: UserView, 401: Problem } } },
      async (request) => userView(await accounts.me(requirePrincipal(request).userId)),
    );

    const requireSession = (request: FastifyRequest): Principal => {
      const principal = requirePrincipal(request);
      if (principal.via !== 'jwt') throw new SessionRequiredError();
      return principal;
    };

    app.post(
      '/api/v1/api-keys',
      { schema: { tags, summary: 'Create an API key (shown once)', body: CreateApiKeyBody, response: { 201: CreatedApiKeyView, 400: Problem, 401: Problem, 403: Problem, 409: Problem } } },
      async (request, reply) => {
        const { userId } = requireSession(request);
        const created = await apiKeys.create(userId, request.body.name, contextOf(request));
        // The key must not linger in caches.
        reply.header('cache-control', 'no-store');
        return reply.code(201).send({ id: created.id, name: created.name, key: created.key, createdAt: new Date(created.createdAt).toISOString() });
      },
    );

    app.get(
      '/api/v1/api-keys',
      { schema: { tags, summary: 'My API keys (never the keys themselves)', response: { 200: ApiKeyList, 401: Problem, 403: Problem } } },
      async (request) => {
        const { userId } = requireSession(request);
        const keys = await apiKeys.list(userId);
        return {
          items: keys.map((k) => ({ id: k.id, name: k.name, prefix: k.prefix, createdAt: new Date(k.createdAt).toISOString(), lastUsedAt: iso(k.lastUsedAt), revokedAt: iso(k.revokedAt) })),
        };
      },
    );

    app.delete(
      '/api/v1/api-keys/:id',
      { schema: { tags, summary: 'Revoke an API key', params: ApiKeyParams, response: { 204: { type: 'null' }, 401: Problem, 403: Problem, 404: Problem } } },
      async (request, reply) => {
        const { userId } = requireSession(request);
        await apiKeys.revoke(userId, request.params.id, contextOf(request));
        return reply.code(204).send();
      },
    );

    app.get(
      '/.well-known/jwks.json',
      { schema: { tags, summary: 'Public keys that verify access tokens (RFC 7517)', response: { 200: Jwks } } },
      async (_request, reply) => {
        reply.header('cache-control', 'public, max-age=300');
        return deps.keys().jwks();
      },
    );
  };
}
