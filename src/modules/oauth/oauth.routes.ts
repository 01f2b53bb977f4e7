import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import cookie from '@fastify/cookie';
import { Type, type Static } from '@sinclair/typebox';
import { randomToken, requirePrincipal, type Principal, type RequestContext, type User } from '../accounts/index.js';
import { ForbiddenError, UnauthorizedError } from '../../shared/errors/index.js';
import { redirectWith } from './oauth.clients.js';
import { AuthorizationNotFoundError, OAuthError } from './oauth.errors.js';
import { acceptForms } from './oauth.form.js';
import type { OAuthClient } from './oauth.model.js';
import { consentPage, errorPage, oobPage, type AuthorizeFields } from './oauth.page.js';
import { ApplicationView, AuthorizedAppView, AuthorizeParams, GrantIdParams, Problem, RegisterAppBody, TokenBody, TokenView } from './oauth.schemas.js';
import { SUPPORTED_SCOPES } from './oauth.scopes.js';
import { AuthorizePageError, AuthorizeRedirectError, OAuthService, type AuthorizationRequest } from './oauth.service.js';

export interface OAuthRoutesDeps {
  service: OAuthService;
  /** Checks a login and password; answers the user and a short-lived access token for the page's cookie. */
  signIn(input: { login: string; password: string }, context: RequestContext): Promise<{ user: User; accessToken: string }>;
  /** The principal of `Bearer <token>` (the page's cookie holds an access token); throws when invalid. */
  authenticate(authorization: string): Promise<Principal | null>;
  /** Base URL of this server (the issuer in the metadata). */
  publicUrl: string;
  /** Lifetime of the sign-in cookie (the access token's). */
  sessionSeconds: number;
}

/** The authorization page's sign-in, scoped to /oauth (an access token of the accounts module). */
const SESSION_COOKIE = 'bp_oauth_session';
/** Double-submit CSRF token of the consent form. */
const CSRF_COOKIE = 'bp_oauth_csrf';

const contextOf = (request: FastifyRequest): RequestContext => ({ ip: request.ip, userAgent: request.headers['user-agent'] });

/** `Authorization: Basic` client credentials (RFC 6749 §2.3.1: each part form-encoded). */
function basicCredentials(request: FastifyRequest): { clientId: string; clientSecret: string } | undefined {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_client', 'Malformed Basic credentials', { basicChallenge: true });
  try {
    return { clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')), clientSecret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')) };
  } catch {
    throw new OAuthError('invalid_client', 'Malformed Basic credentials', { basicChallenge: true });
  }
}

/** Mastodon's Application entity. */
export function applicationView(client: OAuthClient, secret?: string): Static<typeof ApplicationView> {
  return {
    id: client.id,
    name: client.name,
    website: client.website,
    scopes: client.scopes.split(' '),
    redirect_uri: client.redirectUris.join('\n'),
    redirect_uris: [...client.redirectUris],
    ...(secret === undefined ? {} : { client_id: client.clientId, client_secret: secret }),
    vapid_key: '',
  };
}

/**
 * The authorization server's HTTP face: `POST /api/v1/apps`, `GET|POST /oauth/authorize`,
 * `POST /oauth/token`, `POST /oauth/revoke`, `/.well-known/oauth-authorization-server`, and the
 * user's list of authorized apps.
 */
export function oauthRoutes(deps: OAuthRoutesDeps) {
  const { service, publicUrl } = deps;
  const secureCookies = publicUrl.startsWith('https:');
  return async (fastify: FastifyInstance): Promise<void> => {
    if (!fastify.hasRequestDecorator('cookies')) await fastify.register(cookie);
    acceptForms(fastify);
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['oauth'];

    app.post(
      '/api/v1/apps',
      { schema: { tags, summary: 'Register an application (Mastodon); the secret is shown once', body: RegisterAppBody, response: { 200: ApplicationView, 400: Problem } } },
      async (request) => {
        const { client_name, redirect_uris, scopes, website } = request.body;
        const { client, clientSecret } = await service.registerClient({ clientName: client_name, redirectUris: redirect_uris, scopes, website });
        return applicationView(client, clientSecret);
      },
    );

    app.get(
      '/api/v1/apps/verify_credentials',
      { schema: { tags, summary: 'The application of the access token', security: [{ bearer: [] }], response: { 200: ApplicationView, 401: Problem } } },
      async (request) => {
        const token = /^Bearer +(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
        const client = token === undefined ? null : await service.clientOfToken(token);
        if (client === null) throw new UnauthorizedError('The access token is not valid', 'invalid_token');
        return applicationView(client);
      },
    );

    const signedInUser = async (request: FastifyRequest): Promise<Principal | null> => {
      const session = request.cookies[SESSION_COOKIE];
      if (session === undefined || session === '') return null;
      try {
        return await deps.authenticate(`Bearer ${session}`);
      } catch {
        return null;
      }
    };
    const csrfOf = (request: FastifyRequest, reply: FastifyReply): string => {
      const known = request.cookies[CSRF_COOKIE];
      if (known !== undefined && /^[A-Za-z0-9_-]{43}$/.test(known)) return known;
      const token = randomToken();
      reply.setCookie(CSRF_COOKIE, token, { path: '/oauth', httpOnly: true, sameSite: 'strict', secure: secureCookies });
      return token;
    };
    const fieldsOf = (request: AuthorizationRequest, params: AuthorizeParams): AuthorizeFields => ({
      client_id: request.client.clientId,
      redirect_uri: request.redirectUri,
      response_type: 'code',
      scope: request.scopes.toString(),
      state: params.state,
      code_challenge: params.code_challenge,
      code_challenge_method: params.code_challenge_method,
    });
    // The page submits to itself and the browser is then sent to the app: CSP form-action must allow that target.
    const html = (reply: FastifyReply, status: number, body: string, formTarget?: string) => {
      reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store');
      if (formTarget !== undefined) reply.header('content-security-policy', `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${formTarget}; frame-ancestors 'none'; base-uri 'none'`);
      return reply.send(body);
    };
    const formTargetOf = (redirectUri: string) => {
      const url = new URL(redirectUri);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol;
    };
    /** Validates, or answers the error (a page, or a redirect back to the app). */
    const validate = async (params: AuthorizeParams, reply: FastifyReply): Promise<AuthorizationRequest | null> => {
      try {
        return await service.validateAuthorization(params as Record<string, string | undefined>);
      } catch (error) {
        if (error instanceof AuthorizePageError) {
          await html(reply, 400, errorPage(error.message));
          return null;
        }
        if (error instanceof AuthorizeRedirectError) {
          await sendBack(reply, error.redirectUri, { error: error.error.oauthCode, error_description: error.message, state: error.state }, 302);
          return null;
        }
        throw error;
      }
    };
    const sendBack = (reply: FastifyReply, redirectUri: string, params: Record<string, string | undefined>, status: 302 | 303) => {
      if (OAuthService.isOob(redirectUri)) return html(reply, 400, errorPage(params.error_description ?? params.error ?? 'Authorization failed'));
      return reply.header('cache-control', 'no-store').redirect(redirectWith(redirectUri, params), status);
    };
    const onlyStrings = (params: Record<string, unknown>) => {
      if (Object.values(params).some((v) => typeof v !== 'string')) throw new OAuthError('invalid_request', 'Every parameter appears once');
    };

    app.get(
      '/oauth/authorize',
      { schema: { tags, summary: 'The authorization page (sign in, then consent); RFC 6749 §4.1.1 with PKCE S256', querystring: AuthorizeParams } },
      async (request, reply) => {
        onlyStrings(request.query);
        const authorization = await validate(request.query, reply);
        if (authorization === null) return reply;
        const user = await signedInUser(request);
        const page = consentPage(authorization, fieldsOf(authorization, request.query), { username: user?.username ?? null, csrf: csrfOf(request, reply) });
        return html(reply, 200, page, formTargetOf(authorization.redirectUri));
      },
    );

    app.post(
      '/oauth/authorize',
      { schema: { tags, summary: 'The consent form’s answer: a code (or access_denied) sent to the redirect URI', body: AuthorizeParams } },
      async (request, reply) => {
        const params = request.body;
        onlyStrings(params);
        const cookieToken = request.cookies[CSRF_COOKIE];
        if (cookieToken === undefined || params.csrf === undefined || cookieToken.length !== params.csrf.length || !timingSafeEqual(Buffer.from(cookieToken), Buffer.from(params.csrf))) {
          return html(reply, 403, errorPage('This form expired or did not come from this site. Go back to the application and start again.'));
        }
        const authorization = await validate(params, reply);
        if (authorization === null) return reply;
        const { redirectUri, state } = authorization;
        if (params.decision !== 'approve') return sendBack(reply, redirectUri, { error: 'access_denied', error_description: 'The user denied the request', state }, 303);
        let user: { id: string; username: string } | null = null;
        if (params.login !== undefined && params.password !== undefined) {
          try {
            const signedIn = await deps.signIn({ login: params.login, password: params.password }, contextOf(request));
            user = signedIn.user;
            reply.setCookie(SESSION_COOKIE, signedIn.accessToken, { path: '/oauth', httpOnly: true, sameSite: 'lax', secure: secureCookies, maxAge: deps.sessionSeconds });
          } catch (error) {
            if (!(error instanceof UnauthorizedError)) throw error;
            const page = consentPage(authorization, fieldsOf(authorization, params), { username: null, csrf: params.csrf, error: 'The login or the password is wrong.' });
            return html(reply, 401, page, formTargetOf(redirectUri));
          }
        } else {
          const principal = await signedInUser(request);
          user = principal === null ? null : { id: principal.userId, username: principal.username };
        }
        if (user === null) {
          const page = consentPage(authorization, fieldsOf(authorization, params), { username: null, csrf: params.csrf, error: 'Sign in to authorize.' });
          return html(reply, 401, page, formTargetOf(redirectUri));
        }
        const code = await service.issueCode(authorization, user);
        if (OAuthService.isOob(redirectUri)) return html(reply, 200, oobPage(authorization.client.name, code));
        return sendBack(reply, redirectUri, { code, state }, 303);
      },
    );

    app.post(
      '/oauth/token',
      { schema: { tags, summary: 'The token endpoint: authorization_code (with PKCE), refresh_token (rotating), client_credentials, password when enabled', body: TokenBody, response: { 200: TokenView, 400: Problem, 401: Problem, 403: Problem } } },
      async (request, reply) => {
        onlyStrings(request.body);
        reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
        return service.token(request.body, basicCredentials(request), contextOf(request));
      },
    );

    app.post(
      '/oauth/revoke',
      { schema: { tags, summary: 'Revoke an access or refresh token (RFC 7009): the whole authorization ends', body: TokenBody, response: { 200: Type.Object({}), 400: Problem, 401: Problem, 403: Problem } } },
      async (request) => {
        onlyStrings(request.body);
        await service.revoke(request.body, basicCredentials(request));
        return {};
      },
    );

    app.get('/.well-known/oauth-authorization-server', { schema: { tags, summary: 'Authorization server metadata (RFC 8414)' } }, async () => ({
      issuer: publicUrl,
      authorization_endpoint: `${publicUrl}/oauth/authorize`,
      token_endpoint: `${publicUrl}/oauth/token`,
      revocation_endpoint: `${publicUrl}/oauth/revoke`,
      registration_endpoint: `${publicUrl}/api/v1/apps`,
      app_registration_endpoint: `${publicUrl}/api/v1/apps`,
      scopes_supported: SUPPORTED_SCOPES,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', ...(service.passwordGrant ? ['password'] : [])],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      service_documentation: `${publicUrl}/api/docs`,
    }));

    // The user's own list: first-party credentials only, so that an app cannot see or end the others.
    const firstParty = (request: FastifyRequest): Principal => {
      const principal = requirePrincipal(request);
      if (principal.via === 'oauth') throw new ForbiddenError('Authorized apps are managed with your own session, not an app’s token', 'first_party_only');
      return principal;
    };
    app.get(
      '/api/v1/oauth/authorizations',
      { schema: { tags, summary: 'The apps you authorized', security: [{ bearer: [] }], response: { 200: Type.Array(AuthorizedAppView), 401: Problem, 403: Problem } } },
      async (request) =>
        (await service.listAuthorized(firstParty(request).userId)).map((a) => ({ id: a.id, name: a.name, website: a.website, scopes: a.scopes.split(' '), createdAt: new Date(a.createdAt).toISOString() })),
    );
    app.delete(
      '/api/v1/oauth/authorizations/:id',
      { schema: { tags, summary: 'Revoke an app: every token it holds stops working', security: [{ bearer: [] }], params: GrantIdParams, response: { 204: Type.Null(), 401: Problem, 403: Problem, 404: Problem } } },
      async (request, reply) => {
        if (!(await service.revokeAuthorized(firstParty(request).userId, request.params.id))) throw new AuthorizationNotFoundError();
        return reply.code(204).send(null);
      },
    );
  };
}
