/** Extra members of a problem document (RFC 9457 allows extensions). */
export type ProblemExtensions = Record<string, unknown>;

/**
 * The one error base: a stable machine `code`, an HTTP status and a message safe to show.
 * Modules subclass it; the HTTP layer renders it as problem+json.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly extensions: ProblemExtensions | undefined;
  /** Response headers the error implies (e.g. Retry-After). */
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: string,
    status: number,
    message: string,
    options?: { extensions?: ProblemExtensions; headers?: Record<string, string>; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.extensions = options?.extensions;
    this.headers = options?.headers;
  }
}

/** One invalid input field. */
export interface FieldError {
  /** JSON pointer or dotted path of the field. */
  field: string;
  message: string;
}

export class ValidationError extends AppError {
  constructor(message: string, errors: FieldError[] = [], code = 'validation_failed') {
    super(code, 400, message, { extensions: { errors } });
  }
}

/** No or bad credentials: 401 with a Bearer challenge. */
export class UnauthorizedError extends AppError {
  constructor(message = 'Authentication required', code = 'authentication_required') {
    super(code, 401, message, { headers: { 'www-authenticate': 'Bearer' } });
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string, code = 'forbidden') {
    super(code, 403, message);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found', code = 'not_found') {
    super(code, 404, message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict') {
    super(code, 409, message);
  }
}

export class GoneError extends AppError {
  constructor(message: string, code = 'gone') {
    super(code, 410, message);
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message: string, code = 'unavailable', retryAfterSeconds?: number) {
    super(code, 503, message, retryAfterSeconds === undefined ? undefined : { headers: { 'retry-after': String(retryAfterSeconds) } });
  }
}
