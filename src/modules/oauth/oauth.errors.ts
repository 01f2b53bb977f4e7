import { AppError } from '../../shared/errors/index.js';

/** RFC 6749 §5.2 and RFC 7009 error codes (plus §4.1.2.1's for the authorization page). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'unsupported_token_type';

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 403,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  access_denied: 403,
  unsupported_response_type: 400,
  unsupported_token_type: 400,
};

/**
 * An OAuth error: a problem document (our one error base) that also carries RFC 6749's
 * `error` and `error_description` members, so that OAuth and Mastodon clients read it as theirs.
 */
export class OAuthError extends AppError {
  readonly oauthCode: OAuthErrorCode;

  constructor(code: OAuthErrorCode, description: string, options: { basicChallenge?: boolean } = {}) {
    super(`oauth_${code}`, STATUS[code], description, {
      extensions: { error: code, error_description: description },
      // RFC 6749 §5.2: a client that tried HTTP Basic is challenged the same way.
      ...(options.basicChallenge ? { headers: { 'www-authenticate': 'Basic realm="oauth"' } } : {}),
    });
    this.oauthCode = code;
  }
}

/** A route that needs a scope the token was not granted: RFC 6750 §3.1 `insufficient_scope`. */
export class InsufficientScopeError extends AppError {
  constructor(required: readonly string[]) {
    const scope = required.join(' ');
    super('insufficient_scope', 403, `This action needs the scope ${required.join(' or ')}`, {
      extensions: { error: 'This action is outside the authorized scopes', scope },
      headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"` },
    });
  }
}

/** A grant the user tried to revoke that is not theirs, or does not exist. */
export class AuthorizationNotFoundError extends AppError {
  constructor() {
    super('authorization_not_found', 404, 'No such authorized application');
  }
}
