import type { ColumnType } from 'kysely';

/**
 * The tables the accounts module owns. Ids are snowflakes kept as decimal TEXT: better-sqlite3
 * answers INTEGER columns as JS numbers, which lose precision above 2^53. Times are epoch ms.
 */
export interface UsersTable {
  id: string;
  /** Lower-case `[a-z0-9_]{3,30}`: unique, hence unique case-insensitively. */
  username: string;
  /** Lower-case. */
  email: string;
  /** argon2id PHC string (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`). */
  password_hash: string;
  created_at: number;
  /** `user` or `operator` (may read and replay dead letters); set by `blueprint users:role`. */
  role: ColumnType<UserRole, UserRole | undefined, UserRole>;
}

export type UserRole = 'user' | 'operator';

/** A login session: the refresh tokens issued since one login, each replacing the previous. */
export interface RefreshFamiliesTable {
  id: string;
  user_id: string;
  created_at: number;
  /** The family and every token in it are dead after this (REFRESH_TOKEN_TTL_DAYS after login). */
  expires_at: number;
  revoked_at: number | null;
  /** `logout` or `reuse`. */
  revoked_reason: string | null;
}

export interface RefreshTokensTable {
  /** SHA-256 (hex) of the token; the token itself is never stored. */
  token_hash: string;
  family_id: string;
  created_at: number;
  /** Set when the token was exchanged for its successor; presenting it again is reuse. */
  spent_at: number | null;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string;
  /** The first characters of the key (`bp_` + 8), to tell keys apart in a list. */
  prefix: string;
  /** SHA-256 (hex) of the whole key. */
  key_hash: string;
  created_at: number;
  /** Written at most once a minute per key. */
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface AuditEventsTable {
  /** Snowflake, zero-padded to 20 digits so that text order is time order on every engine. */
  id: string;
  at: number;
  kind: string;
  user_id: string | null;
  ip: string | null;
  /** Truncated. */
  user_agent: string | null;
  /** JSON object; never a password, token or key. */
  details: string;
}

export interface AccountsTables {
  users: UsersTable;
  refresh_families: RefreshFamiliesTable;
  refresh_tokens: RefreshTokensTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
}
