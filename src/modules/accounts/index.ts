import { LRUCache } from 'lru-cache';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock/index.js';
import type { IdGenerator } from '../../platform/ids/index.js';
import type { PubSubPort } from '../../platform/pubsub/index.js';
import { tablesOf, type SqlDatabase } from '../../platform/sql/index.js';
import './accounts.fastify.js';
import type { Principal, RequestContext, User } from './accounts.model.js';
import { accountsRoutes } from './accounts.routes.js';
import { AccountsService } from './accounts.service.js';
import type { AccountsTables, UserRole } from './accounts.tables.js';
import { AccessTokens } from './access-tokens.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import { ApiKeysService } from './api-keys.service.js';
import { AuditLog, type AuditEvent, type AuditQuery } from './audit-log.js';
import { AuditRepository } from './audit.repository.js';
import { Authenticator } from './authenticator.js';
import { PasswordHasher } from './password-hasher.js';
import { RefreshSessions } from './refresh-sessions.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionRevocations, type RevocationListener } from './session-revocations.js';
import { CLOCK_TOLERANCE_SECONDS } from './access-tokens.js';
import { SigningKeys } from './signing-keys.js';
import { UsersRepository, type PublicUser } from './users.repository.js';
import { hasForbiddenCharacters } from '../../shared/text/index.js';

export { accountsMigrations } from './accounts.migrations.js';
export { AccessTokenVerifier } from './access-tokens.js';
export { InvalidTokenError } from './accounts.errors.js';
export { isApiKeyLike, randomToken, sha256Hex } from './secret-token.js';
export { requirePrincipal, REFRESH_COOKIE } from './accounts.routes.js';
export { rotateSigningKeys, keyFilePath, type RotateOptions, type RotationResult } from './signing-keys.js';
export type { OAuthAccess, Principal, RequestContext, User, UserView } from './accounts.model.js';
export type { PublicUser } from './users.repository.js';
export type { UserRole } from './accounts.tables.js';

/**
 * Gives a registered user a role (`blueprint users:role NAME operator|user`): operators may read
 * and replay dead letters. False when no user has that name. The database must be migrated.
 */
export async function setUserRole(sqlDatabase: SqlDatabase<unknown>, username: string, role: UserRole): Promise<boolean> {
  return new UsersRepository(tablesOf<AccountsTables>(sqlDatabase)).setRole(username.toLowerCase(), role);
}
export type { AuditEvent, AuditKind, AuditQuery } from './audit-log.js';

/** Read-only public view of users for other modules. */
export interface UserDirectory {
  byUsername(username: string): Promise<PublicUser | null>;
  byIds(ids: readonly string[]): Promise<Map<string, PublicUser>>;
  /** Users whose (lower-case) name starts with `prefix`, by name, paged after a name. */
  search(prefix: string, limit: number, after?: string): Promise<PublicUser[]>;
}

export interface AccountsOptions {
  sql: SqlDatabase<unknown>;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  /** Generated signing keys live under `${dataDir}/secrets/jwt-keys.json`. */
  dataDir: string;
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Ed25519 PKCS#8 PEM (JWT_PRIVATE_KEY); unset: generated keys, rotated with rotateSigningKeys. */
  signingKeyPem?: string | undefined;
  passwordHash: { memoryCost: number; timeCost: number; parallelism: number };
  /** Origins allowed to make cookie-authenticated POSTs (refresh, logout). */
  trustedOrigins: readonly string[];
  /** The public profiles other modules read (default: a directory of its own over `sql`). */
  directory?: UserDirectory | undefined;
  /** Carries session revocations to the other processes (Redis when scaled). */
  bus?: PubSubPort | undefined;
}

export interface Accounts {
  /** Loads or generates the signing keys and makes the dummy hash; call before serving. */
  start(): Promise<void>;
  /**
   * The principal of an Authorization header value (`Bearer <jwt>` or `Bearer bp_...`), null when
   * the header is absent; throws an AppError 401 (`invalid_token`, `token_expired`,
   * `invalid_api_key`) with `WWW-Authenticate: Bearer error="invalid_token"` when present but not valid.
   */
  authenticate(authorization: string | undefined): Promise<Principal | null>;
  /** The principal of an access token verified a moment ago, without I/O; undefined when only `authenticate` can tell. */
  authenticateNow(authorization: string | undefined): Principal | undefined;
  /**
   * Checks a login (username or email) and password as the login route does (same 401
   * `invalid_credentials` for every failure, audited) and answers the user with a short-lived access
   * token outside any refresh session: the OAuth authorization page keeps it in its own cookie.
   */
  signIn(input: { login: string; password: string }, context: RequestContext): Promise<{ user: User; accessToken: string }>;
  /** `/api/v1/auth/*`, `/api/v1/me`, `/api/v1/api-keys*`, `/.well-known/jwks.json`; needs @fastify/cookie. */
  routes: FastifyPluginAsync;
  /**
   * Calls `listener` with the id of every session revoked from now on, in this process or another
   * (logout, refresh-token reuse); returns the function that stops it. Streams end on it.
   */
  onSessionRevoked(listener: RevocationListener): () => void;
  /** Whether the user holds the operator role now (read from their record on each call). */
  isOperator(userId: string): Promise<boolean>;
  /** The audit trail, newest first (for a console). */
  listAuditEvents(query: AuditQuery): Promise<AuditEvent[]>;
  /** Public profiles, for other modules (feed, search): by name, by ids, by name prefix. */
  directory: UserDirectory;
  close(): Promise<void>;
}

/**
 * Public profiles over the users table, without the rest of the module (the worker role has only
 * this). Lookups by name are remembered (bounded): a user's public fields never change (names are
 * not editable and accounts are not deleted), and every follow and mention looks a name up.
 * Unknown names are not remembered: the name may be taken a moment later.
 */
export function createUserDirectory(sqlDatabase: SqlDatabase<unknown>): UserDirectory {
  const users = new UsersRepository(tablesOf<AccountsTables>(sqlDatabase));
  const byName = new LRUCache<string, PublicUser>({ max: 50_000 });
  return {
    async byUsername(username) {
      const name = username.toLowerCase();
      // A name with a character no name may hold (the text policy; NUL, which PostgreSQL refuses)
      // names nobody: never sent to the database.
      if (hasForbiddenCharacters(name)) return null;
      const known = byName.get(name);
      if (known !== undefined) return known;
      const user = await users.findByUsername(name);
      if (user === null) return null;
      const found = Object.freeze({ id: user.id, username: user.username, createdAt: user.createdAt });
      byName.set(name, found);
      return found;
    },
    async byIds(ids) {
      return new Map((await users.publicByIds(ids)).map((u) => [u.id, u]));
    },
    search: async (prefix, limit, after) => (hasForbiddenCharacters(prefix) ? [] : users.searchByPrefix(prefix.toLowerCase(), limit, after)),
  };
}

/** The accounts module: users, passwords, access and refresh tokens, API keys, audit trail. */
export function createAccounts(options: AccountsOptions): Accounts {
  const sql = tablesOf<AccountsTables>(options.sql);
  const { clock, ids, logger } = options;
  const log = logger.child({ module: 'accounts' });
  let keys: SigningKeys | undefined;
  const keysOrThrow = (): SigningKeys => {
    if (keys === undefined) throw new Error('accounts.start() was not called');
    return keys;
  };
  // A lazy view of the keys: they are loaded by start(), after construction.
  const lazyKeys = {
    current: () => keysOrThrow().current(),
    find: (kid: string) => keysOrThrow().find(kid),
    refreshIfStale: () => keysOrThrow().refreshIfStale(),
    has: (kid: string) => keysOrThrow().has(kid),
  } as unknown as SigningKeys;

  const hasher = new PasswordHasher(options.passwordHash);
  const audit = new AuditLog({ repository: new AuditRepository(sql), clock, ids });
  const accessTokens = new AccessTokens({ keys: lazyKeys, clock, issuer: options.issuer, audience: options.audience, ttlSeconds: options.accessTokenTtlSeconds });
  const sessionsRepository = new SessionsRepository(sql);
  const sessions = new RefreshSessions({ repository: sessionsRepository, clock, ids, ttlMs: options.refreshTokenTtlSeconds * 1000 });
  // An access token of a revoked session may be presented until it expires: remembered that long.
  const rememberMs = (options.accessTokenTtlSeconds + CLOCK_TOLERANCE_SECONDS) * 1000;
  const revocations = new SessionRevocations({ bus: options.bus, clock, rememberMs });
  const apiKeys = new ApiKeysService({ repository: new ApiKeysRepository(sql), audit, clock, ids });
  const users = new UsersRepository(sql);
  const service = new AccountsService({ users, sessions, revocations, accessTokens, hasher, audit, clock, ids, logger: log });
  const authenticator = new Authenticator({ accessTokens, apiKeys, revocations });

  return {
    async start() {
      keys ??= await SigningKeys.open({
        dataDir: options.dataDir,
        signingKeyPem: options.signingKeyPem,
        now: () => clock.now(),
        onEvent: (message, details) => log.info(details, message),
      });
      await hasher.start();
      await revocations.start(await sessionsRepository.revokedSince(clock.now() - rememberMs));
    },
    authenticate: (authorization) => authenticator.authenticate(authorization),
    authenticateNow: (authorization) => authenticator.authenticateNow(authorization),
    async signIn(input, context) {
      const user = await service.verifyLogin(input, context);
      return { user, accessToken: await service.signAccessToken(user) };
    },
    routes: accountsRoutes({ accounts: service, apiKeys, keys: keysOrThrow, clock, trustedOrigins: options.trustedOrigins }),
    onSessionRevoked: (listener) => revocations.onRevoked(listener),
    isOperator: async (userId) => (await users.roleOf(userId)) === 'operator',
    listAuditEvents: (query) => audit.list(query),
    directory: options.directory ?? createUserDirectory(options.sql),
    async close() {
      // Requests in flight finish with the app; only the bus subscription and the key file's watch are ours to end.
      revocations.close();
      keys?.close();
    },
  };
}
