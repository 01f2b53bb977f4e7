import { LRUCache } from 'lru-cache';
import { randomUUID } from 'node:crypto';
import { SignJWT, errors, jwtVerify, type JWTHeaderParameters, type KeyObject } from 'jose';
import type { Clock } from '../../platform/clock/index.js';
import { InvalidTokenError } from './accounts.errors.js';
import type { SigningKeys } from './signing-keys.js';

/** The only algorithm accepted; see signing-keys.ts for why Ed25519. */
export const ACCESS_TOKEN_ALGORITHMS = ['EdDSA'] as const;
/** RFC 9068 media type of JWT access tokens: an ID token or other JWT cannot pass for one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** Seconds of clock difference tolerated on exp, nbf and iat (servers' clocks drift a little). */
export const CLOCK_TOLERANCE_SECONDS = 5;
/** Longer strings are not ours: refused before any parsing. */
const MAX_TOKEN_LENGTH = 4096;
const REQUIRED_CLAIMS = ['iss', 'aud', 'sub', 'exp', 'iat', 'nbf', 'jti'];
const USER_ID = /^[0-9]{1,20}$/;

export interface AccessTokenSubject {
  userId: string;
  username: string;
  /** The refresh family (login session) the token was issued in. */
  sessionId?: string | undefined;
}

export interface VerifiedAccessToken extends AccessTokenSubject {
  jti: string;
  /** Epoch seconds. */
  expiresAt: number;
}

export interface AccessTokensOptions {
  keys: SigningKeys;
  clock: Clock;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** Signs and verifies access tokens (JWT, EdDSA). */
export class AccessTokens {
  readonly #o: AccessTokensOptions;

  readonly #verifier: AccessTokenVerifier;

  constructor(options: AccessTokensOptions) {
    this.#o = options;
    const { keys, clock, issuer, audience } = options;
    this.#verifier = new AccessTokenVerifier({ findKey: async (kid) => (await keys.find(kid))?.publicKey, hasKey: (kid) => keys.has(kid), clock, issuer, audience });
  }

  get ttlSeconds(): number {
    return this.#o.ttlSeconds;
  }

  async sign(subject: AccessTokenSubject): Promise<string> {
    const { keys, clock, issuer, audience, ttlSeconds } = this.#o;
    await keys.refreshIfStale();
    const key = keys.current();
    // Times from the injected clock, so that tests can move them.
    const now = Math.floor(clock.now() / 1000);
    return new SignJWT({
      preferred_username: subject.username,
      ...(subject.sessionId === undefined ? {} : { sid: subject.sessionId }),
    })
      .setProtectedHeader({ alg: 'EdDSA', typ: ACCESS_TOKEN_TYPE, kid: key.kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(subject.userId)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttlSeconds)
      .setJti(randomUUID())
      .sign(key.privateKey);
  }

  /** Verifies a token (see AccessTokenVerifier). */
  verify(token: string): Promise<VerifiedAccessToken> {
    return this.#verifier.verify(token);
  }

  /** A token verified a moment ago, without I/O (see AccessTokenVerifier.verifyNow). */
  verifyNow(token: string): VerifiedAccessToken | undefined {
    return this.#verifier.verifyNow(token);
  }
}

/** Where a verifier finds public keys by `kid`: this process's signing keys, or a JWKS fetched from the API (the gateway). */
export interface AccessTokenVerifierOptions {
  findKey(kid: string): Promise<KeyObject | undefined>;
  /** Whether the key is still known, checked when a remembered verification is used: a removed key stops its tokens at once. */
  hasKey?(kid: string): boolean;
  clock: Clock;
  issuer: string;
  audience: string;
}

/** Verified tokens remembered at most (a few hundred bytes each). */
const CACHE_ENTRIES = 50_000;
/**
 * How long a verified token is trusted without checking its signature again (and never past its
 * `exp`): a key removed from the key file or the JWKS stops verifying within this.
 */
const CACHE_MS = 60_000;

/**
 * Verifies access tokens with public keys only: what the API and the gateway both check. A token
 * that verified is remembered (bounded LRU, at most {@link CACHE_MS} and never past its expiry):
 * an Ed25519 verification costs ~80 µs of CPU, more than serving a cached timeline page, and a
 * client sends the same token with every request for minutes.
 */
export class AccessTokenVerifier {
  readonly #o: AccessTokenVerifierOptions;
  readonly #verified = new LRUCache<string, { token: VerifiedAccessToken; kid: string; until: number }>({ max: CACHE_ENTRIES });

  constructor(options: AccessTokenVerifierOptions) {
    this.#o = options;
  }

  /**
   * Verifies a token: EdDSA only (the header's `alg` is checked against the allow-list before any
   * key is chosen, so `none` and HS256-with-the-public-key are refused), a key we know by `kid`,
   * `typ` at+jwt, issuer, audience, every required claim, exp and nbf with 5 s of tolerance.
   * Throws InvalidTokenError (`token_expired` or `invalid_token`).
   */
  async verify(token: string): Promise<VerifiedAccessToken> {
    const known = this.verifyNow(token);
    if (known !== undefined) return known;
    const { verified, kid } = await this.#verify(token);
    // Past exp (with the tolerance) the full check answers token_expired; within it, the cache may.
    const expiresAt = (verified.expiresAt + CLOCK_TOLERANCE_SECONDS) * 1000;
    this.#verified.set(token, { token: verified, kid, until: Math.min(expiresAt, this.#o.clock.now() + CACHE_MS) });
    return verified;
  }

  /**
   * The token if it verified within the cache's time and its key is still known: no I/O, no
   * signature check. Undefined otherwise (not seen, expired from the cache, or never valid): the
   * caller then verifies it with `verify`, which answers why it is refused.
   */
  verifyNow(token: string): VerifiedAccessToken | undefined {
    const known = this.#verified.get(token);
    if (known === undefined) return undefined;
    if (this.#o.clock.now() < known.until && (this.#o.hasKey?.(known.kid) ?? true)) return known.token;
    this.#verified.delete(token);
    return undefined;
  }

  async #verify(token: string): Promise<{ verified: VerifiedAccessToken; kid: string }> {
    const { findKey, clock, issuer, audience } = this.#o;
    if (token.length > MAX_TOKEN_LENGTH) throw invalid();
    let payload;
    let kid = '';
    try {
      ({ payload } = await jwtVerify(
        token,
        async (header: JWTHeaderParameters): Promise<KeyObject> => {
          if (typeof header.kid !== 'string') throw new errors.JWKSNoMatchingKey();
          kid = header.kid;
          const key = await findKey(header.kid);
          if (key === undefined) throw new errors.JWKSNoMatchingKey();
          return key;
        },
        {
          algorithms: [...ACCESS_TOKEN_ALGORITHMS],
          typ: ACCESS_TOKEN_TYPE,
          issuer,
          audience,
          requiredClaims: REQUIRED_CLAIMS,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          currentDate: new Date(clock.now()),
        },
      ));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new InvalidTokenError('token_expired', 'The access token expired');
      throw invalid();
    }
    const { sub, jti, exp, preferred_username: username, sid } = payload;
    if (typeof sub !== 'string' || !USER_ID.test(sub) || typeof username !== 'string' || typeof jti !== 'string' || typeof exp !== 'number') throw invalid();
    if (sid !== undefined && typeof sid !== 'string') throw invalid();
    return { verified: { userId: sub, username, sessionId: sid, jti, expiresAt: exp }, kid };
  }
}

function invalid(): InvalidTokenError {
  return new InvalidTokenError('invalid_token', 'The access token is not valid');
}
