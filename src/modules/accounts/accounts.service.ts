import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock/index.js';
import type { IdGenerator } from '../../platform/ids/index.js';
import { NotFoundError } from '../../shared/errors/index.js';
import { AccountInputError, AccountTakenError, InvalidCredentialsError, RefreshRefusedError } from './accounts.errors.js';
import type { IssuedSession, RequestContext, User } from './accounts.model.js';
import type { AccessTokens } from './access-tokens.js';
import { LOGIN_NAME_MAX_LENGTH, truncate, type AuditLog } from './audit-log.js';
import { hashParamsOf, type PasswordHasher } from './password-hasher.js';
import { PASSWORD_MAX_BYTES, checkSignup, normaliseEmail, normaliseUsername } from './password-policy.js';
import { hasForbiddenCharacters } from '../../shared/text/index.js';
import type { RefreshSessions } from './refresh-sessions.js';
import type { SessionRevocations } from './session-revocations.js';
import type { UserRecord, UsersRepository } from './users.repository.js';

export interface AccountsServiceDeps {
  users: UsersRepository;
  sessions: RefreshSessions;
  /** Ends a revoked session's access tokens and streams in every process. */
  revocations: SessionRevocations;
  accessTokens: AccessTokens;
  hasher: PasswordHasher;
  audit: AuditLog;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
}

/** A refreshed pair. */
export interface RefreshedTokens {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: number;
}

function publicUser(record: UserRecord): User {
  return { id: record.id, username: record.username, email: record.email, createdAt: record.createdAt };
}

/** Signup, login, refresh and logout. */
export class AccountsService {
  readonly #d: AccountsServiceDeps;

  constructor(deps: AccountsServiceDeps) {
    this.#d = deps;
  }

  async signup(input: { username: string; email: string; password: string }, context: RequestContext): Promise<IssuedSession> {
    const { users, hasher, audit, clock, ids } = this.#d;
    const username = normaliseUsername(input.username);
    const email = normaliseEmail(input.email);
    const problems = checkSignup({ username, email, password: input.password });
    if (problems.length > 0) throw new AccountInputError(problems);
    const taken = await users.taken(username, email);
    if (taken.username || taken.email) throw new AccountTakenError(takenFields(taken));
    const record: UserRecord = { id: ids.next().toString(), username, email, createdAt: clock.now(), passwordHash: await hasher.hash(input.password) };
    if (!(await users.insert(record))) {
      // Taken between the check and the insert by a concurrent signup.
      const now = await users.taken(username, email);
      throw new AccountTakenError(takenFields(now).length > 0 ? takenFields(now) : ['username']);
    }
    await audit.record('signup', { userId: record.id, context });
    return this.#issue(publicUser(record));
  }

  /**
   * Logs in by username or email. Every failure is the same 401 after the same work: an unknown
   * login is verified against a dummy hash, so its timing matches a wrong password.
   */
  async login(input: { login: string; password: string }, context: RequestContext): Promise<IssuedSession> {
    return this.#issue(await this.verifyLogin(input, context));
  }

  /**
   * Checks a login and password as login does (same timing, audit and rehash), without starting a
   * session: for sign-ins on behalf of another flow (the OAuth authorization page, the password grant).
   */
  async verifyLogin(input: { login: string; password: string }, context: RequestContext): Promise<User> {
    const { users, hasher, audit } = this.#d;
    // A login holding a character no name may (the text policy) names nobody: never looked up, and
    // answered as any unknown login, after the same work.
    const login = input.login.normalize('NFC').trim();
    const record = hasForbiddenCharacters(login) ? null : login.includes('@') ? await users.findByEmail(normaliseEmail(login)) : await users.findByUsername(normaliseUsername(login));
    const acceptable = Buffer.byteLength(input.password, 'utf8') <= PASSWORD_MAX_BYTES;
    const ok = record !== null && acceptable ? await hasher.verify(record.passwordHash, input.password) : await hasher.verifyDummy(input.password.slice(0, PASSWORD_MAX_BYTES));
    if (record === null || !ok) {
      await audit.record('login_failed', {
        userId: record?.id ?? null,
        context,
        details: { login: truncate(login, LOGIN_NAME_MAX_LENGTH), reason: record === null ? 'unknown_login' : 'wrong_password' },
      });
      throw new InvalidCredentialsError();
    }
    if (hasher.needsRehash(record.passwordHash)) await this.#rehash(record, input.password, context);
    await audit.record('login_succeeded', { userId: record.id, context });
    return publicUser(record);
  }

  /** A short-lived access token outside any refresh session (see verifyLogin). */
  signAccessToken(user: User): Promise<string> {
    return this.#d.accessTokens.sign({ userId: user.id, username: user.username });
  }

  /** Upgrades a hash made with older parameters, now that the password is known to be right. */
  async #rehash(record: UserRecord, password: string, context: RequestContext): Promise<void> {
    const { users, hasher, audit, logger } = this.#d;
    try {
      const next = await hasher.hash(password);
      if (await users.replacePasswordHash(record.id, record.passwordHash, next)) {
        const from = hashParamsOf(record.passwordHash);
        const to = hasher.params;
        await audit.record('password_rehashed', {
          userId: record.id,
          context,
          details: {
            from: from === null ? 'unreadable' : `m=${from.memoryCost},t=${from.timeCost},p=${from.parallelism}`,
            to: `m=${to.memoryCost},t=${to.timeCost},p=${to.parallelism}`,
          },
        });
      }
    } catch (error) {
      // The login stands; the upgrade is retried at the next one.
      logger.warn({ err: error, userId: record.id }, 'password rehash failed');
    }
  }

  async #issue(user: User): Promise<IssuedSession> {
    const refresh = await this.#d.sessions.start(user.id);
    const accessToken = await this.#d.accessTokens.sign({ userId: user.id, username: user.username, sessionId: refresh.familyId });
    return { user, accessToken, expiresIn: this.#d.accessTokens.ttlSeconds, refreshToken: refresh.token, refreshExpiresAt: refresh.expiresAt };
  }

  /** Exchanges a refresh token; a reused one revokes its family, is audited and refused. */
  async refresh(presented: string, context: RequestContext): Promise<RefreshedTokens> {
    const { sessions, users, audit, accessTokens, logger } = this.#d;
    const outcome = await sessions.rotate(presented);
    if (!outcome.ok) {
      if (outcome.reason === 'reused') {
        logger.warn({ userId: outcome.userId, familyId: outcome.familyId }, 'refresh token reused: family revoked');
        if (outcome.familyId !== undefined) await this.#revoked(outcome.familyId);
        await audit.record('refresh_token_reuse', { userId: outcome.userId ?? null, context, details: { familyId: outcome.familyId ?? null } });
        throw new RefreshRefusedError('refresh_token_reused', 'This refresh token was already used; the session is revoked, sign in again');
      }
      throw new RefreshRefusedError('invalid_refresh_token', 'The refresh token is not valid (unknown, expired or revoked)');
    }
    const user = await users.findById(outcome.userId);
    if (user === null) throw new RefreshRefusedError('invalid_refresh_token', 'The refresh token is not valid (unknown, expired or revoked)');
    const accessToken = await accessTokens.sign({ userId: user.id, username: user.username, sessionId: outcome.familyId });
    return { accessToken, expiresIn: accessTokens.ttlSeconds, refreshToken: outcome.token, refreshExpiresAt: outcome.expiresAt };
  }

  /**
   * Ends a session: the family of the refresh token when one is given, else the family the
   * access token was issued in. Idempotent; unknown tokens end nothing and are not an error.
   */
  async logout(request: { refreshToken?: string | undefined; userId?: string | undefined; sessionId?: string | undefined }, context: RequestContext): Promise<void> {
    const { sessions, audit } = this.#d;
    if (request.refreshToken !== undefined) {
      const result = await sessions.revokeByToken(request.refreshToken);
      if (result !== null) await this.#revoked(result.familyId);
      if (result?.revoked) await audit.record('logout', { userId: result.userId, context, details: { familyId: result.familyId } });
      return;
    }
    if (request.userId !== undefined && request.sessionId !== undefined && (await sessions.revokeFamily(request.sessionId, request.userId))) {
      await this.#revoked(request.sessionId);
      await audit.record('logout', { userId: request.userId, context, details: { familyId: request.sessionId } });
    }
  }

  /** Tells every process; the session is already revoked in the database, so a bus failure is logged, not thrown. */
  async #revoked(sessionId: string): Promise<void> {
    await this.#d.revocations.revoke(sessionId).catch((err: unknown) => this.#d.logger.warn({ err }, 'session revocation not broadcast'));
  }

  /** The user, or 404 when the account no longer exists. */
  async me(userId: string): Promise<User> {
    const record = await this.#d.users.findById(userId);
    if (record === null) throw new NotFoundError('This account no longer exists', 'user_not_found');
    return publicUser(record);
  }
}

function takenFields(taken: { username: boolean; email: boolean }): ('username' | 'email')[] {
  return [...(taken.username ? ['username' as const] : []), ...(taken.email ? ['email' as const] : [])];
}
