/** A registered application. Times are epoch ms. */
export interface OAuthClient {
  /** Internal id (snowflake). */
  id: string;
  /** The public `client_id`. */
  clientId: string;
  secretHash: string;
  name: string;
  website: string | null;
  redirectUris: readonly string[];
  scopes: string;
  createdAt: number;
}

/** What a user (or a client for itself) authorized; every token issued under it dies with it. */
export interface OAuthGrant {
  id: string;
  /** Internal client id. */
  clientId: string;
  userId: string | null;
  username: string | null;
  scopes: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

/** An authorization code as stored. */
export interface OAuthCode {
  clientId: string;
  userId: string;
  username: string;
  redirectUri: string;
  scopes: string;
  codeChallenge: string | null;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  grantId: string | null;
}

/** A grant as its user sees it in "authorized apps". */
export interface AuthorizedApp {
  id: string;
  name: string;
  website: string | null;
  scopes: string;
  createdAt: number;
}

/** The out-of-band redirect URI: the page shows the code instead of redirecting. */
export const OOB_REDIRECT_URI = 'urn:ietf:wg:oauth:2.0:oob';
