import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { JWK } from 'jose';
import type { Logger } from 'pino';
import { AccessTokenVerifier, isApiKeyLike, type Principal } from '../modules/accounts/token-verifier.js';
import type { Clock } from '../platform/clock/index.js';

// RFC 6750 §2.1, as the API reads it.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
/** An unknown `kid` sends the gateway to the JWKS again at most this often (a rotation reaches it within this). */
const REFETCH_MS = 10_000;

export interface EdgeAuthOptions {
  /** GET of a path on some upstream: the API's JWKS. */
  fetchJson(path: string): Promise<unknown>;
  clock: Clock;
  issuer: string;
  audience: string;
  logger: Logger;
}

/**
 * Access tokens checked at the edge with the API's public keys (its JWKS, fetched through the
 * pool and refreshed when a token names a key not seen yet): a forged, tampered or expired token
 * gets its 401 here without costing an API process anything, and a valid one names the user for
 * the gateway's per-user rate limits. API keys, and everything while the JWKS cannot be had, pass
 * on to the API, which stays the authority.
 */
export class EdgeAuthenticator {
  readonly #keys = new Map<string, KeyObject>();
  readonly #verifier: AccessTokenVerifier;
  readonly #o: EdgeAuthOptions;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #fetching: Promise<boolean> | undefined;

  constructor(options: EdgeAuthOptions) {
    this.#o = options;
    this.#verifier = new AccessTokenVerifier({ findKey: (kid) => this.#find(kid), clock: options.clock, issuer: options.issuer, audience: options.audience });
  }

  /** A principal for a valid access token; null when there is nothing to judge here; InvalidTokenError for a bad token. */
  async authenticate(authorization: string): Promise<Principal | null> {
    const token = BEARER.exec(authorization)?.[1];
    // API keys and other opaque tokens (OAuth's `bpo_`) are the API's to judge; a JWT has dots.
    if (token === undefined || isApiKeyLike(token) || !token.includes('.')) return null;
    if (this.#keys.size === 0 && !(await this.#refresh())) return null;
    const verified = await this.#verifier.verify(token);
    return { userId: verified.userId, username: verified.username, via: 'jwt', ...(verified.sessionId === undefined ? {} : { sessionId: verified.sessionId }) };
  }

  async #find(kid: string): Promise<KeyObject | undefined> {
    if (!this.#keys.has(kid) && this.#o.clock.now() - this.#fetchedAt >= REFETCH_MS) await this.#refresh();
    return this.#keys.get(kid);
  }

  /** Loads the JWKS; false when it could not be had (the API decides then). */
  #refresh(): Promise<boolean> {
    this.#fetching ??= (async () => {
      try {
        const body = (await this.#o.fetchJson('/.well-known/jwks.json')) as { keys?: (JWK & { kid?: string })[] };
        for (const jwk of body.keys ?? []) {
          if (typeof jwk.kid === 'string' && jwk.kty === 'OKP' && !this.#keys.has(jwk.kid)) this.#keys.set(jwk.kid, createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }));
        }
        this.#fetchedAt = this.#o.clock.now();
        return true;
      } catch (err) {
        this.#o.logger.warn({ err }, 'the API\'s signing keys could not be fetched; tokens are left to the API');
        return false;
      } finally {
        this.#fetching = undefined;
      }
    })();
    return this.#fetching;
  }
}

/** Checks Bearer tokens before anything else (the rate limiter keys by the user it names). */
export function registerEdgeAuth(app: FastifyInstance, auth: EdgeAuthenticator): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', (request, _reply, done) => {
    const { authorization } = request.headers;
    if (authorization === undefined || !/^bearer /i.test(authorization)) {
      done();
      return;
    }
    auth.authenticate(authorization).then(
      (principal) => {
        request.principal = principal;
        done();
      },
      // A route with its own credentials (/metrics) answers for a token that is not an access token.
      (error: Error) => done(request.routeOptions.config.ownCredentials === true ? undefined : error),
    );
  });
}
