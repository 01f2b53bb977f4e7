/**
 * The tables the OAuth module owns. Ids are snowflakes as decimal text, times epoch ms; every
 * secret (client secret, code, access and refresh token) is stored as its SHA-256 only.
 */
export interface OAuthClientsTable {
  id: string;
  /** The public identifier clients send (`client_id`): random, unguessable, unique. */
  client_id: string;
  secret_hash: string;
  name: string;
  website: string | null;
  /** Registered redirect URIs, newline-separated; matched exactly. */
  redirect_uris: string;
  /** The most the client may ask for, space-separated. */
  scopes: string;
  created_at: number;
}

/** An authorization: what one user granted one client (or a client to itself), and every token issued under it. */
export interface OAuthGrantsTable {
  id: string;
  client_id: string;
  /** Null for client_credentials (the client acting for itself). */
  user_id: string | null;
  /** Kept with the grant: user names never change, and authentication then needs no other module. */
  username: string | null;
  scopes: string;
  created_at: number;
  /** The grant dies then (refresh family lifetime); access tokens may die sooner. */
  expires_at: number;
  revoked_at: number | null;
  /** `user`, `client`, `code_replay`, `refresh_reuse`. */
  revoked_reason: string | null;
}

export interface OAuthCodesTable {
  code_hash: string;
  client_id: string;
  user_id: string;
  username: string;
  redirect_uri: string;
  scopes: string;
  /** PKCE S256 challenge (base64url), null when the deployment allows codes without PKCE. */
  code_challenge: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  /** The grant the first exchange created: revoked if the code comes back. */
  grant_id: string | null;
}

export interface OAuthAccessTokensTable {
  token_hash: string;
  grant_id: string;
  /** May be narrower than the grant's (a refresh that asked for less). */
  scopes: string;
  created_at: number;
  /** Null: valid while the grant is (OAUTH_ACCESS_TOKEN_TTL_SECONDS=0). */
  expires_at: number | null;
  /** Set when a refresh replaced it. */
  revoked_at: number | null;
}

export interface OAuthRefreshTokensTable {
  token_hash: string;
  grant_id: string;
  created_at: number;
  /** Set when exchanged; presenting it again is reuse and revokes the grant. */
  spent_at: number | null;
}

export interface OAuthTables {
  oauth_clients: OAuthClientsTable;
  oauth_grants: OAuthGrantsTable;
  oauth_codes: OAuthCodesTable;
  oauth_access_tokens: OAuthAccessTokensTable;
  oauth_refresh_tokens: OAuthRefreshTokensTable;
}
