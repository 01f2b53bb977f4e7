/** Who a request is, as the authentication hook found it. */
export interface Principal {
  /** Snowflake id as a decimal string. */
  userId: string;
  username: string;
  via: 'jwt' | 'apikey';
  /** With `via: 'apikey'`: the key used. */
  apiKeyId?: string;
  /** With `via: 'jwt'`: the login session (refresh family) the access token came from. */
  sessionId?: string;
  /** With `via: 'jwt'`: when the access token expires (epoch seconds); a stream it opened ends then. */
  tokenExpiresAt?: number;
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
