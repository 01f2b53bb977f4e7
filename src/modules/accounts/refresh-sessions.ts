import type { Clock } from '../../platform/clock/index.js';
import type { IdGenerator } from '../../platform/ids/index.js';
import { randomToken, sha256Hex } from './secret-token.js';
import type { SessionsRepository } from './sessions.repository.js';

/** A refresh token just issued. */
export interface IssuedRefreshToken {
  /** Shown once to the client; only its SHA-256 is stored. */
  token: string;
  familyId: string;
  userId: string;
  /** Epoch ms when the family (and so this token) dies. */
  expiresAt: number;
}

export type RotationOutcome =
  | ({ ok: true } & IssuedRefreshToken)
  /** `reused`: a spent token came back; its whole family was revoked just now. */
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'reused'; familyId?: string; userId?: string };

const MAX_REFRESH_TOKEN_LENGTH = 256;

/**
 * Refresh-token families (RFC 9700 §4.14.2): a login starts a family; every use of a token
 * spends it and issues its successor in the same family; a spent token presented again means
 * two parties hold the chain (one of them a thief), so the whole family is revoked and both
 * lose it. Families die `ttlMs` after the login, however often they are refreshed.
 */
export class RefreshSessions {
  readonly #repo: SessionsRepository;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  readonly #ttlMs: number;

  constructor(deps: { repository: SessionsRepository; clock: Clock; ids: IdGenerator; ttlMs: number }) {
    this.#repo = deps.repository;
    this.#clock = deps.clock;
    this.#ids = deps.ids;
    this.#ttlMs = deps.ttlMs;
  }

  /** Starts a family (a login) and issues its first token. */
  async start(userId: string): Promise<IssuedRefreshToken> {
    const now = this.#clock.now();
    const familyId = this.#ids.next().toString();
    const token = randomToken();
    const expiresAt = now + this.#ttlMs;
    await this.#repo.transaction(async (trx) => {
      await this.#repo.insertFamily(trx, { id: familyId, userId, createdAt: now, expiresAt });
      await this.#repo.insertToken(trx, { hash: sha256Hex(token), familyId, createdAt: now });
    });
    return { token, familyId, userId, expiresAt };
  }

  /** Exchanges a token for its successor, or says why not (revoking the family on reuse). */
  async rotate(presented: string): Promise<RotationOutcome> {
    if (presented.length === 0 || presented.length > MAX_REFRESH_TOKEN_LENGTH) return { ok: false, reason: 'unknown' };
    const hash = sha256Hex(presented);
    const now = this.#clock.now();
    return this.#repo.transaction(async (trx): Promise<RotationOutcome> => {
      const found = await this.#repo.findToken(trx, hash);
      if (found === null) return { ok: false, reason: 'unknown' };
      const who = { familyId: found.familyId, userId: found.userId };
      if (found.familyRevokedAt !== null) return { ok: false, reason: 'revoked', ...who };
      if (found.familyExpiresAt <= now) return { ok: false, reason: 'expired', ...who };
      if (!(await this.#repo.spend(trx, hash, now))) {
        // Committed with the transaction: the revocation is the answer, not an error to roll back.
        await this.#repo.revokeFamily(trx, found.familyId, now, 'reuse');
        return { ok: false, reason: 'reused', ...who };
      }
      const token = randomToken();
      await this.#repo.insertToken(trx, { hash: sha256Hex(token), familyId: found.familyId, createdAt: now });
      return { ok: true, token, familyId: found.familyId, userId: found.userId, expiresAt: found.familyExpiresAt };
    });
  }

  /** Revokes the family of a token (logout); the family, or null for a token we do not know. */
  async revokeByToken(presented: string): Promise<{ familyId: string; userId: string; revoked: boolean } | null> {
    if (presented.length === 0 || presented.length > MAX_REFRESH_TOKEN_LENGTH) return null;
    const hash = sha256Hex(presented);
    const now = this.#clock.now();
    return this.#repo.transaction(async (trx) => {
      const found = await this.#repo.findToken(trx, hash);
      if (found === null) return null;
      const revoked = await this.#repo.revokeFamily(trx, found.familyId, now, 'logout');
      return { familyId: found.familyId, userId: found.userId, revoked };
    });
  }

  /** Revokes a family of `userId` by id (logout with an access token); false when not theirs or already dead. */
  async revokeFamily(familyId: string, userId: string): Promise<boolean> {
    const family = await this.#repo.findFamily(familyId);
    if (family === null || family.userId !== userId) return false;
    return this.#repo.revokeFamily(undefined, familyId, this.#clock.now(), 'logout');
  }
}
