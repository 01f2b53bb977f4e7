import { InvalidTokenError } from './accounts.errors.js';
import type { Principal } from './accounts.model.js';
import type { AccessTokens, VerifiedAccessToken } from './access-tokens.js';
import type { ApiKeysService } from './api-keys.service.js';
import { isApiKeyLike } from './secret-token.js';
import type { SessionRevocations } from './session-revocations.js';

// RFC 6750 §2.1: `Bearer` (any case), one or more spaces, the b64token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** Turns an Authorization header into a principal: an access token (JWT) or an API key. */
export class Authenticator {
  readonly #accessTokens: AccessTokens;
  readonly #apiKeys: ApiKeysService;
  readonly #revocations: SessionRevocations;

  constructor(deps: { accessTokens: AccessTokens; apiKeys: ApiKeysService; revocations: SessionRevocations }) {
    this.#accessTokens = deps.accessTokens;
    this.#apiKeys = deps.apiKeys;
    this.#revocations = deps.revocations;
  }

  /** null without a header; a principal for a valid credential; InvalidTokenError (401) otherwise. */
  async authenticate(authorization: string | undefined): Promise<Principal | null> {
    if (authorization === undefined) return null;
    const match = BEARER.exec(authorization);
    if (match === null) throw new InvalidTokenError('invalid_token', 'Send credentials as "Authorization: Bearer <token>"');
    const token = match[1]!;
    if (isApiKeyLike(token)) return this.#apiKeys.authenticate(token);
    const verified = await this.#accessTokens.verify(token);
    // After the verified-token cache, on every request: a Map lookup, so that logout and refresh
    // reuse end the session's access tokens at once rather than when they expire.
    if (verified.sessionId !== undefined && this.#revocations.isRevoked(verified.sessionId)) {
      throw new InvalidTokenError('session_revoked', 'The session of this access token has ended; sign in again');
    }
    return principalOf(verified);
  }

  /**
   * The principal of an access token verified a moment ago, decided without I/O (a path that
   * answers before the router). Undefined for anything `authenticate` must look at: no header or
   * another scheme, an API key, a token not verified lately, a revoked session.
   */
  authenticateNow(authorization: string | undefined): Principal | undefined {
    if (authorization === undefined) return undefined;
    const token = BEARER.exec(authorization)?.[1];
    if (token === undefined || isApiKeyLike(token)) return undefined;
    const verified = this.#accessTokens.verifyNow(token);
    if (verified === undefined || (verified.sessionId !== undefined && this.#revocations.isRevoked(verified.sessionId))) return undefined;
    return principalOf(verified);
  }
}

function principalOf(verified: VerifiedAccessToken): Principal {
  return {
    userId: verified.userId,
    username: verified.username,
    via: 'jwt',
    tokenExpiresAt: verified.expiresAt,
    ...(verified.sessionId === undefined ? {} : { sessionId: verified.sessionId }),
  };
}
