/** Who a request is, as the authentication hook found it. */
export interface Principal {
  /** Snowflake id as a decimal string. */
  userId: string;
  username: string;
  via: 'jwt' | 'apikey' | 'oauth';
  /** With `via: 'apikey'`: the key used. */
  apiKeyId?: string;
  /** With `via: 'jwt'`: the login session (refresh family) the access token came from. */
  sessionId?: string;
  /** With `via: 'oauth'`: the third-party app the token was issued to and what it may do. */
  oauth?: OAuthAccess;
  /** With `via: 'jwt'`: when the access token expires (epoch seconds); a stream it opened ends then. */
  tokenExpiresAt?: number;
}

/** What an OAuth access token lets its app do (the OAuth module makes these). */
export interface OAuthAccess {
  /** The app's public client_id. */
  clientId: string;
  /** The authorization the token belongs to. */
  grantId: string;
  /** Space-separated, as granted. */
  scope: string;
  /** True when a route needing any one of `required` (granular scope names) may be called. */
  allows(...required: string[]): boolean;
}

/** An account. Times are epoch ms. */
export interface User {
  id: string;
  username: string;
  email: string;
  createdAt: number;
}

/** The JSON shape of a user. */
export interface UserView {
  id: string;
  username: string;
  email: string;
  createdAt: string;
}

export function userView(user: User): UserView {
  return { id: user.id, username: user.username, email: user.email, createdAt: new Date(user.createdAt).toISOString() };
}

/** Where a request came from, for the audit trail. */
export interface RequestContext {
  ip: string | undefined;
  userAgent: string | undefined;
}

/** What signup and login hand out. */
export interface IssuedSession {
  user: User;
  accessToken: string;
  /** Seconds. */
  expiresIn: number;
  refreshToken: string;
  /** Epoch ms when the refresh family dies. */
  refreshExpiresAt: number;
}
