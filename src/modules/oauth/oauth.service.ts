import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../platform/clock/index.js';
import type { IdGenerator } from '../../platform/ids/index.js';
import { InvalidTokenError, type OAuthAccess, type Principal, type RequestContext, type User } from '../accounts/index.js';
import { randomToken, sha256Hex } from '../accounts/index.js';
import { parseRedirectUris, redirectUriProblem } from './oauth.clients.js';
import { OAuthError } from './oauth.errors.js';
import { OOB_REDIRECT_URI, type AuthorizedApp, type OAuthClient, type OAuthGrant } from './oauth.model.js';
import { isS256Challenge, verifierMatches } from './oauth.pkce.js';
import type { OAuthRepository } from './oauth.repository.js';
import { Scopes } from './oauth.scopes.js';

/** Access tokens announce themselves (`bpo_`), as API keys do (`bp_`); refresh tokens `bpr_`. */
export const ACCESS_TOKEN_PREFIX = 'bpo_';
const REFRESH_TOKEN_PREFIX = 'bpr_';
const ACCESS_TOKEN = /^bpo_[A-Za-z0-9_-]{43}$/;
/** RFC 6749 §4.1.2 recommends at most 10 minutes. */
export const CODE_TTL_MS = 10 * 60_000;
const MAX_SECRET_LENGTH = 256;
const MAX_NAME_LENGTH = 200;

export interface OAuthServiceDeps {
  repository: OAuthRepository;
  clock: Clock;
  ids: IdGenerator;
  /** Checks a login and password (the accounts module); throws 401 on a wrong one. */
  signIn(input: { login: string; password: string }, context: RequestContext): Promise<{ user: User }>;
  /** 0: access tokens live as long as their grant. */
  accessTokenTtlSeconds: number;
  /** How long a grant (its refresh chain) lives. */
  grantTtlMs: number;
  pkce: 'required' | 'optional';
  passwordGrant: boolean;
}

/** A validated authorization request (RFC 6749 §4.1.1 with RFC 7636's challenge). */
export interface AuthorizationRequest {
  client: OAuthClient;
  redirectUri: string;
  scopes: Scopes;
  state: string | undefined;
  codeChallenge: string | null;
}

/** RFC 6749 §5.1 with Mastodon's `created_at`. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  scope: string;
  created_at: number;
  expires_in?: number;
  refresh_token?: string;
}

/** What a token request carries (form or JSON), client credentials included. */
export interface TokenRequest {
  grant_type?: string | undefined;
  code?: string | undefined;
  redirect_uri?: string | undefined;
  code_verifier?: string | undefined;
  refresh_token?: string | undefined;
  scope?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  client_id?: string | undefined;
  client_secret?: string | undefined;
}

/** Errors the authorization endpoint shows on its own page: there is no trusted URI to send them to. */
export class AuthorizePageError extends Error {}

/** Errors the authorization endpoint sends back to the client's redirect URI (§4.1.2.1). */
export class AuthorizeRedirectError extends Error {
  constructor(
    readonly error: OAuthError,
    readonly redirectUri: string,
    readonly state: string | undefined,
  ) {
    super(error.message);
  }
}

const equalSecret = (presentedHash: string, storedHash: string) =>
  presentedHash.length === storedHash.length && timingSafeEqual(Buffer.from(presentedHash), Buffer.from(storedHash));

/**
 * The authorization server: app registration, authorization codes bound to client, redirect URI,
 * scopes and PKCE challenge; the token endpoint's grants; revocation; and the authentication of the
 * access tokens it issues. Every secret is stored as its SHA-256 (they are 256-bit random strings).
 */
export class OAuthService {
  readonly #d: OAuthServiceDeps;

  constructor(deps: OAuthServiceDeps) {
    this.#d = deps;
  }

  get pkceRequired(): boolean {
    return this.#d.pkce === 'required';
  }

  get passwordGrant(): boolean {
    return this.#d.passwordGrant;
  }

  /** `POST /api/v1/apps`: the secret is answered once and stored hashed. */
  async registerClient(input: { clientName: string; redirectUris: string | readonly string[]; scopes?: string | undefined; website?: string | undefined }): Promise<{ client: OAuthClient; clientSecret: string }> {
    const name = input.clientName.trim();
    if (name.length === 0 || name.length > MAX_NAME_LENGTH || /\p{Cc}/u.test(name)) throw new OAuthError('invalid_request', `client_name must be 1 to ${MAX_NAME_LENGTH} printable characters`);
    const redirectUris = parseRedirectUris(input.redirectUris);
    const problem = redirectUriProblem(redirectUris);
    if (problem !== null) throw new OAuthError('invalid_request', problem);
    const scopes = Scopes.parse(input.scopes);
    if (scopes === null) throw new OAuthError('invalid_scope', 'Unknown scope in scopes');
    const website = input.website === undefined || input.website.trim() === '' ? null : input.website.trim();
    if (website !== null && (website.length > 2000 || !/^https?:\/\//i.test(website))) throw new OAuthError('invalid_request', 'website must be an http(s) URL');
    const clientSecret = randomToken();
    const client: OAuthClient = {
      id: this.#d.ids.next().toString(),
      clientId: randomToken(),
      secretHash: sha256Hex(clientSecret),
      name,
      website,
      redirectUris,
      scopes: scopes.toString(),
      createdAt: this.#d.clock.now(),
    };
    await this.#d.repository.insertClient(client);
    return { client, clientSecret };
  }

  /**
   * Validates an authorization request. Before the client and redirect URI are known good, errors
   * are AuthorizePageError (RFC 6749 §4.1.2.1: never redirect to an unverified URI); after, they
   * are AuthorizeRedirectError, sent back to the client with its state.
   */
  async validateAuthorization(query: Record<string, string | undefined>): Promise<AuthorizationRequest> {
    const clientId = query.client_id;
    const client = clientId === undefined || clientId.length > 128 ? null : await this.#d.repository.findClient(clientId);
    if (client === null) throw new AuthorizePageError('Unknown client_id: this application is not registered here.');
    let redirectUri = query.redirect_uri;
    if (redirectUri === undefined || redirectUri === '') {
      if (client.redirectUris.length !== 1) throw new AuthorizePageError('redirect_uri is required: this application registered several.');
      redirectUri = client.redirectUris[0]!;
    }
    // Exact string comparison (RFC 9700 §4.1.3): no prefix, no pattern, no normalisation.
    if (!client.redirectUris.includes(redirectUri)) throw new AuthorizePageError('The redirect_uri does not match any this application registered.');
    const state = query.state;
    const fail = (code: ConstructorParameters<typeof OAuthError>[0], description: string) => new AuthorizeRedirectError(new OAuthError(code, description), redirectUri, state);
    if (query.response_type !== 'code') throw fail('unsupported_response_type', 'Only response_type=code is supported');
    const scopes = Scopes.parse(query.scope);
    if (scopes === null) throw fail('invalid_scope', 'Unknown scope');
    if (!Scopes.parse(client.scopes)!.includes(scopes)) throw fail('invalid_scope', 'The requested scope exceeds what this application registered');
    const method = query.code_challenge_method;
    const challenge = query.code_challenge;
    if (method === 'plain') throw fail('invalid_request', 'code_challenge_method=plain is not supported; use S256');
    if (challenge === undefined || challenge === '') {
      if (this.pkceRequired) throw fail('invalid_request', 'PKCE is required: send code_challenge and code_challenge_method=S256');
      if (method !== undefined) throw fail('invalid_request', 'code_challenge_method without code_challenge');
      return { client, redirectUri, scopes, state, codeChallenge: null };
    }
    if (method !== 'S256') throw fail('invalid_request', 'code_challenge_method must be S256');
    if (!isS256Challenge(challenge)) throw fail('invalid_request', 'code_challenge must be 43 base64url characters (S256)');
    return { client, redirectUri, scopes, state, codeChallenge: challenge };
  }

  /** Issues a one-time code for an approved request. */
  async issueCode(request: AuthorizationRequest, user: { id: string; username: string }): Promise<string> {
    const code = randomToken();
    const now = this.#d.clock.now();
    await this.#d.repository.insertCode(sha256Hex(code), {
      clientId: request.client.id,
      userId: user.id,
      username: user.username,
      redirectUri: request.redirectUri,
      scopes: request.scopes.toString(),
      codeChallenge: request.codeChallenge,
      createdAt: now,
      expiresAt: now + CODE_TTL_MS,
      usedAt: null,
      grantId: null,
    });
    return code;
  }

  /** `POST /oauth/token`. `basic` is the decoded HTTP Basic client credentials, when sent. */
  async token(request: TokenRequest, basic: { clientId: string; clientSecret: string } | undefined, context: RequestContext): Promise<TokenResponse> {
    const client = await this.#authenticateClient(request, basic);
    switch (request.grant_type) {
      case 'authorization_code':
        return this.#exchangeCode(client, request);
      case 'refresh_token':
        return this.#refresh(client, request);
      case 'client_credentials':
        return this.#clientCredentials(client, request);
      case 'password':
        if (this.#d.passwordGrant) return this.#password(client, request, context);
        throw new OAuthError('unsupported_grant_type', 'The password grant is not enabled on this server');
      case undefined:
        throw new OAuthError('invalid_request', 'grant_type is required');
      default:
        throw new OAuthError('unsupported_grant_type', 'Supported grant types: authorization_code, refresh_token, client_credentials');
    }
  }

  /** RFC 6749 §2.3.1: client_secret_basic or client_secret_post, never both. */
  async #authenticateClient(request: TokenRequest, basic: { clientId: string; clientSecret: string } | undefined): Promise<OAuthClient> {
    if (basic !== undefined && (request.client_secret !== undefined || (request.client_id !== undefined && request.client_id !== basic.clientId))) {
      throw new OAuthError('invalid_request', 'Send client credentials one way only');
    }
    const clientId = basic?.clientId ?? request.client_id;
    const secret = basic?.clientSecret ?? request.client_secret;
    const refused = () => new OAuthError('invalid_client', 'Client authentication failed', { basicChallenge: basic !== undefined });
    if (clientId === undefined || secret === undefined || clientId.length > 128 || secret.length > MAX_SECRET_LENGTH) throw refused();
    const client = await this.#d.repository.findClient(clientId);
    if (client === null || !equalSecret(sha256Hex(secret), client.secretHash)) throw refused();
    return client;
  }

  async #exchangeCode(client: OAuthClient, request: TokenRequest): Promise<TokenResponse> {
    const { repository, clock } = this.#d;
    const code = request.code;
    const refused = (why: string) => new OAuthError('invalid_grant', why);
    if (code === undefined || code.length === 0 || code.length > 256) throw new OAuthError('invalid_request', 'code is required');
    const hash = sha256Hex(code);
    const now = clock.now();
    const outcome = await repository.transaction(async (trx): Promise<TokenResponse | OAuthError> => {
      const found = await repository.findCode(trx, hash);
      // Another client's code is refused as unknown: nothing about it is told or changed.
      if (found === null || found.clientId !== client.id) return refused('The authorization code is not valid');
      if (found.usedAt !== null) {
        // RFC 6749 §4.1.2: a code used twice was intercepted; what the first use issued is revoked.
        if (found.grantId !== null) await repository.revokeGrant(trx, found.grantId, now, 'code_replay');
        return refused('The authorization code was already used; the tokens it gave are revoked');
      }
      if (found.expiresAt <= now) return refused('The authorization code expired');
      if (request.redirect_uri !== found.redirectUri) return refused('redirect_uri does not match the authorization request');
      if (found.codeChallenge === null) {
        // A verifier with a code that had no challenge is a downgrade attempt (RFC 9700 §2.1.1).
        if (request.code_verifier !== undefined) return refused('This code was issued without a code_challenge');
      } else if (request.code_verifier === undefined || !verifierMatches(request.code_verifier, found.codeChallenge)) {
        return refused('The code_verifier does not match the code_challenge');
      }
      if (!(await repository.useCode(trx, hash, now))) return refused('The authorization code was already used');
      const grant = this.#newGrant(client, { id: found.userId, username: found.username }, found.scopes, now);
      await repository.insertGrant(trx, grant);
      await repository.setCodeGrant(trx, hash, grant.id);
      return this.#issueTokens(trx, grant, grant.scopes, now, true);
    });
    if (outcome instanceof OAuthError) throw outcome;
    return outcome;
  }

  async #refresh(client: OAuthClient, request: TokenRequest): Promise<TokenResponse> {
    const { repository, clock } = this.#d;
    const presented = request.refresh_token;
    if (presented === undefined || presented.length === 0 || presented.length > 256) throw new OAuthError('invalid_request', 'refresh_token is required');
    const hash = sha256Hex(presented);
    const now = clock.now();
    const outcome = await repository.transaction(async (trx): Promise<TokenResponse | OAuthError> => {
      const found = await repository.findRefreshToken(trx, hash);
      const refused = new OAuthError('invalid_grant', 'The refresh token is not valid (unknown, expired or revoked)');
      // A token of another client is refused without spending it (RFC 6749 §6: bound to its client).
      if (found === null || found.grant.clientId !== client.id) return refused;
      const { grant } = found;
      if (grant.revokedAt !== null || grant.expiresAt <= now) return refused;
      let scope = grant.scopes;
      if (request.scope !== undefined && request.scope !== '') {
        const asked = Scopes.parse(request.scope);
        if (asked === null || !Scopes.parse(grant.scopes)!.includes(asked)) return new OAuthError('invalid_scope', 'The requested scope exceeds what was granted');
        scope = asked.toString();
      }
      if (!(await repository.spendRefreshToken(trx, hash, now))) {
        // A spent token came back: two parties hold the chain; the grant dies for both (RFC 9700 §4.14.2).
        await repository.revokeGrant(trx, grant.id, now, 'refresh_reuse');
        return new OAuthError('invalid_grant', 'This refresh token was already used; the authorization is revoked');
      }
      await repository.revokeAccessTokens(trx, grant.id, now);
      return this.#issueTokens(trx, grant, scope, now, true);
    });
    if (outcome instanceof OAuthError) throw outcome;
    return outcome;
  }

  async #clientCredentials(client: OAuthClient, request: TokenRequest): Promise<TokenResponse> {
    const scopes = this.#scopeWithin(client, request.scope);
    const now = this.#d.clock.now();
    const grant = this.#newGrant(client, null, scopes.toString(), now);
    return this.#d.repository.transaction(async (trx) => {
      await this.#d.repository.insertGrant(trx, grant);
      return this.#issueTokens(trx, grant, grant.scopes, now, false);
    });
  }

  async #password(client: OAuthClient, request: TokenRequest, context: RequestContext): Promise<TokenResponse> {
    if (request.username === undefined || request.password === undefined) throw new OAuthError('invalid_request', 'username and password are required');
    const scopes = this.#scopeWithin(client, request.scope);
    let user: User;
    try {
      ({ user } = await this.#d.signIn({ login: request.username, password: request.password }, context));
    } catch {
      throw new OAuthError('invalid_grant', 'The login or the password is wrong');
    }
    const now = this.#d.clock.now();
    const grant = this.#newGrant(client, { id: user.id, username: user.username }, scopes.toString(), now);
    return this.#d.repository.transaction(async (trx) => {
      await this.#d.repository.insertGrant(trx, grant);
      return this.#issueTokens(trx, grant, grant.scopes, now, true);
    });
  }

  #scopeWithin(client: OAuthClient, requested: string | undefined): Scopes {
    const scopes = Scopes.parse(requested);
    if (scopes === null || !Scopes.parse(client.scopes)!.includes(scopes)) throw new OAuthError('invalid_scope', 'The requested scope exceeds what this application registered');
    return scopes;
  }

  #newGrant(client: OAuthClient, user: { id: string; username: string } | null, scopes: string, now: number): OAuthGrant {
    return { id: this.#d.ids.next().toString(), clientId: client.id, userId: user?.id ?? null, username: user?.username ?? null, scopes, createdAt: now, expiresAt: now + this.#d.grantTtlMs, revokedAt: null };
  }

  async #issueTokens(trx: Parameters<Parameters<OAuthRepository['transaction']>[0]>[0], grant: OAuthGrant, scope: string, now: number, withRefresh: boolean): Promise<TokenResponse> {
    const { repository, accessTokenTtlSeconds } = this.#d;
    const accessToken = `${ACCESS_TOKEN_PREFIX}${randomToken()}`;
    const ttlMs = accessTokenTtlSeconds === 0 ? null : Math.min(accessTokenTtlSeconds * 1000, grant.expiresAt - now);
    await repository.insertAccessToken(trx, { hash: sha256Hex(accessToken), grantId: grant.id, scopes: scope, createdAt: now, expiresAt: ttlMs === null ? null : now + ttlMs });
    const response: TokenResponse = { access_token: accessToken, token_type: 'Bearer', scope, created_at: Math.floor(now / 1000) };
    if (ttlMs !== null) response.expires_in = Math.floor(ttlMs / 1000);
    if (withRefresh) {
      const refreshToken = `${REFRESH_TOKEN_PREFIX}${randomToken()}`;
      await repository.insertRefreshToken(trx, { hash: sha256Hex(refreshToken), grantId: grant.id, createdAt: now });
      response.refresh_token = refreshToken;
    }
    return response;
  }

  /**
   * RFC 7009: revokes the authorization behind an access or refresh token of this client (both
   * kinds die together). An unknown token is no error (§2.2); another client's is refused.
   */
  async revoke(request: TokenRequest & { token?: string | undefined }, basic: { clientId: string; clientSecret: string } | undefined): Promise<void> {
    const client = await this.#authenticateClient(request, basic);
    const token = request.token;
    if (token === undefined || token === '') throw new OAuthError('invalid_request', 'token is required');
    if (token.length > 256) return;
    const { repository, clock } = this.#d;
    const hash = sha256Hex(token);
    const grant = (await repository.findAccessToken(hash))?.grant ?? (await repository.transaction((trx) => repository.findRefreshToken(trx, hash)))?.grant;
    if (grant === undefined) return;
    if (grant.clientId !== client.id) throw new OAuthError('unauthorized_client', 'This token was not issued to this client');
    await repository.revokeGrant(undefined, grant.id, clock.now(), 'client');
  }

  /** True when a bearer token is one of ours (the `bpo_` prefix); it may still be unknown or revoked. */
  static claims(token: string): boolean {
    return token.startsWith(ACCESS_TOKEN_PREFIX);
  }

  /**
   * The principal of an access token: its user with what the token allows; null for a token the
   * client holds for itself (client_credentials: it acts as nobody). 401 `invalid_token` when
   * unknown, malformed, expired or revoked (also when its authorization was).
   */
  async authenticate(token: string): Promise<{ principal: Principal | null; clientId: string }> {
    const found = ACCESS_TOKEN.test(token) ? await this.#d.repository.findAccessToken(sha256Hex(token)) : null;
    const now = this.#d.clock.now();
    if (found === null || found.revokedAt !== null || found.grant.revokedAt !== null || found.grant.expiresAt <= now || (found.expiresAt !== null && found.expiresAt <= now)) {
      throw new InvalidTokenError('invalid_token', 'The access token is not valid');
    }
    const { grant } = found;
    if (grant.userId === null || grant.username === null) return { principal: null, clientId: found.clientId };
    const scopes = Scopes.parse(found.scopes)!;
    const oauth: OAuthAccess = { clientId: found.clientId, grantId: grant.id, scope: found.scopes, allows: (...required) => scopes.allows(...required) };
    return { principal: { userId: grant.userId, username: grant.username, via: 'oauth', oauth }, clientId: found.clientId };
  }

  /** The app of a client's token (Mastodon's `GET /api/v1/apps/verify_credentials`). */
  async clientOfToken(token: string): Promise<OAuthClient | null> {
    const found = ACCESS_TOKEN.test(token) ? await this.#d.repository.findAccessToken(sha256Hex(token)) : null;
    if (found === null) return null;
    return this.#d.repository.findClient(found.clientId);
  }

  /** The apps a user authorized (live grants), newest first. */
  listAuthorized(userId: string): Promise<AuthorizedApp[]> {
    return this.#d.repository.listAuthorized(userId, this.#d.clock.now());
  }

  /** Revokes one of the user's authorizations; false when there is no live one of theirs by that id. */
  revokeAuthorized(userId: string, grantId: string): Promise<boolean> {
    if (!/^[0-9]{1,20}$/.test(grantId)) return Promise.resolve(false);
    return this.#d.repository.revokeGrant(undefined, grantId, this.#d.clock.now(), 'user', userId);
  }

  /** True for the out-of-band redirect URI (the page shows the code). */
  static isOob(redirectUri: string): boolean {
    return redirectUri === OOB_REDIRECT_URI;
  }
}
