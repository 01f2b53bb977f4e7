import type { FastifyPluginAsync } from 'fastify';
import type { Clock } from '../../platform/clock/index.js';
import type { IdGenerator } from '../../platform/ids/index.js';
import { tablesOf, type SqlDatabase } from '../../platform/sql/index.js';
import { isApiKeyLike, type Accounts, type Principal } from '../accounts/index.js';
import { OAuthRepository } from './oauth.repository.js';
import { oauthRoutes } from './oauth.routes.js';
import { OAuthService } from './oauth.service.js';
import type { OAuthTables } from './oauth.tables.js';

export { oauthMigrations } from './oauth.migrations.js';
export { enforceNativeScopes } from './oauth.native-scopes.js';
export { InsufficientScopeError } from './oauth.errors.js';
export { acceptForms } from './oauth.form.js';
export { Scopes } from './oauth.scopes.js';

export interface OAuthDeps {
  sql: SqlDatabase<unknown>;
  clock: Clock;
  ids: IdGenerator;
  /** Sign-in for the authorization page and the password grant, and the first-party tokens. */
  accounts: Pick<Accounts, 'signIn' | 'authenticate' | 'authenticateNow'>;
  publicUrl: string;
  /** OAUTH_ACCESS_TOKEN_TTL_SECONDS (0: as long as the authorization). */
  accessTokenTtlSeconds: number;
  /** How long an authorization lives (REFRESH_TOKEN_TTL_DAYS). */
  grantTtlSeconds: number;
  /** How long the authorization page's sign-in lasts (ACCESS_TOKEN_TTL_SECONDS). */
  sessionSeconds: number;
  pkce: 'required' | 'optional';
  passwordGrant: boolean;
}

export interface OAuth {
  /**
   * Every Bearer credential: OAuth access tokens (`bpo_`) here, the rest (JWTs, API keys) by the
   * accounts module. Same contract as Accounts.authenticate; an app's own token
   * (client_credentials) is anonymous.
   */
  authenticate(authorization: string | undefined): Promise<Principal | null>;
  /** As `authenticate`, without I/O, for first-party access tokens verified a moment ago; undefined otherwise (OAuth tokens included). */
  authenticateNow(authorization: string | undefined): Principal | undefined;
  /** `/api/v1/apps*`, `/oauth/*`, `/.well-known/oauth-authorization-server`, `/api/v1/oauth/authorizations*`. */
  routes: FastifyPluginAsync;
  service: OAuthService;
}

// RFC 6750 §2.1, as the accounts module reads it.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The OAuth 2.0 authorization server (RFC 6749, 7636, 7009, 8414) for third-party apps. */
export function createOAuth(deps: OAuthDeps): OAuth {
  const repository = new OAuthRepository(tablesOf<OAuthTables>(deps.sql));
  const service = new OAuthService({
    repository,
    clock: deps.clock,
    ids: deps.ids,
    signIn: (input, context) => deps.accounts.signIn(input, context),
    accessTokenTtlSeconds: deps.accessTokenTtlSeconds,
    grantTtlMs: deps.grantTtlSeconds * 1000,
    pkce: deps.pkce,
    passwordGrant: deps.passwordGrant,
  });
  return {
    service,
    async authenticate(authorization) {
      const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
      if (token === undefined || isApiKeyLike(token) || !OAuthService.claims(token)) return deps.accounts.authenticate(authorization);
      return (await service.authenticate(token)).principal;
    },
    authenticateNow(authorization) {
      const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
      return token === undefined || OAuthService.claims(token) ? undefined : deps.accounts.authenticateNow(authorization);
    },
    routes: oauthRoutes({
      service,
      signIn: (input, context) => deps.accounts.signIn(input, context),
      authenticate: (authorization) => deps.accounts.authenticate(authorization),
      publicUrl: deps.publicUrl,
      sessionSeconds: deps.sessionSeconds,
    }),
  };
}
