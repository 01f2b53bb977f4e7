import { AppError, ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, type FieldError } from '../../shared/errors/index.js';

/** One refused signup field, with a stable code per rule. */
export interface FieldProblem extends FieldError {
  code: string;
}

/**
 * Refused signup or API-key input: every problem at once in `errors`. The top-level code is the
 * problem's own (`password_too_common`...) when there is one, else `validation_failed`.
 */
export class AccountInputError extends AppError {
  constructor(problems: FieldProblem[]) {
    const only = problems.length === 1 ? problems[0] : undefined;
    super(only?.code ?? 'validation_failed', 400, only?.message ?? `${problems.length} fields are invalid`, { extensions: { errors: problems } });
  }
}

/** Username and/or email already used: 409 with the fields in `errors`. */
export class AccountTakenError extends AppError {
  constructor(fields: readonly ('username' | 'email')[]) {
    const problems: FieldProblem[] = fields.map((f) => ({ field: `body/${f}`, code: `${f}_taken`, message: `This ${f} is already taken` }));
    const code = problems.length === 1 ? problems[0]!.code : 'account_taken';
    super(code, 409, problems.length === 1 ? problems[0]!.message : 'This username and this email are already taken', { extensions: { errors: problems } });
  }
}

/** The one answer to a failed login, whatever failed: unknown user and wrong password look alike. */
export class InvalidCredentialsError extends UnauthorizedError {
  constructor() {
    super('The login or the password is wrong', 'invalid_credentials');
  }
}

/**
 * A Bearer credential that is present but not valid: RFC 6750 §3.1 `invalid_token` challenge.
 * The description is a fixed sentence per code; nothing from the token is echoed.
 */
export class InvalidTokenError extends AppError {
  constructor(code: 'invalid_token' | 'token_expired' | 'session_revoked' | 'invalid_api_key', message: string) {
    super(code, 401, message, { headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="${message}"` } });
  }
}

/** A refresh token that cannot be exchanged. */
export class RefreshRefusedError extends UnauthorizedError {
  constructor(code: 'refresh_token_missing' | 'invalid_refresh_token' | 'refresh_token_reused', message: string) {
    super(message, code);
  }
}

/** A cookie-authenticated POST from an origin that is not trusted (CSRF). */
export class CsrfOriginError extends ForbiddenError {
  constructor() {
    super('Requests authenticated by the refresh cookie must come from a trusted origin', 'csrf_origin_refused');
  }
}

/** API-key management needs an interactive session, so that a leaked key cannot mint more keys. */
export class SessionRequiredError extends ForbiddenError {
  constructor() {
    super('Managing API keys needs a signed-in session (an access token), not an API key', 'session_required');
  }
}

export class ApiKeyNotFoundError extends NotFoundError {
  constructor() {
    super('No such API key', 'api_key_not_found');
  }
}

export class ApiKeyLimitError extends ConflictError {
  constructor(limit: number) {
    super(`A user may hold at most ${limit} active API keys; revoke one first`, 'api_key_limit');
  }
}
