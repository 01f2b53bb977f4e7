import { defineModule } from '../../shared/module.js';
import type { Accounts } from '../accounts/index.js';
import { createOAuth, oauthMigrations, type OAuth } from './index.js';

export interface OAuthModule extends Pick<OAuth, 'authenticate' | 'authenticateNow' | 'service'> {
  /** `/oauth/*`, `/api/v1/apps*` and the metadata document: outside the JSON API scope (their own CORS and forms). */
  readonly siteRoutes: OAuth['routes'];
  close(): Promise<void>;
}

/** The OAuth 2.0 authorization server for third-party apps (API role); it authenticates every Bearer credential, accounts' own through accounts. */
export const oauthModule = defineModule({
  name: 'oauth',
  needs: ['accounts'],
  migrations: () => oauthMigrations,
  create: ({ config, adapters, clock, ids }, { accounts }: { accounts: Pick<Accounts, 'signIn' | 'authenticate' | 'authenticateNow'> }): OAuthModule => {
    const oauth = createOAuth({
      sql: adapters.sql,
      clock,
      ids,
      accounts,
      publicUrl: config.PUBLIC_URL,
      accessTokenTtlSeconds: config.OAUTH_ACCESS_TOKEN_TTL_SECONDS,
      grantTtlSeconds: config.REFRESH_TOKEN_TTL_DAYS * 86_400,
      sessionSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      pkce: config.OAUTH_PKCE,
      passwordGrant: config.OAUTH_PASSWORD_GRANT === 'on',
    });
    return { authenticate: (authorization) => oauth.authenticate(authorization), authenticateNow: (authorization) => oauth.authenticateNow(authorization), service: oauth.service, siteRoutes: oauth.routes, close: async () => {} };
  },
});
