import { AppError, ConflictError, ForbiddenError, GoneError, NotFoundError } from '../../shared/errors/index.js';

/** A refused target URL or alias: always a 400 with a stable code. */
export class LinkInputError extends AppError {
  constructor(code: string, message: string, field: string) {
    super(code, 400, message, { extensions: { errors: [{ field, message }] } });
  }
}

export class LinkNotFoundError extends NotFoundError {
  constructor(code: string) {
    super(`No short link "${code}"`, 'link_not_found');
  }
}

export class LinkExpiredError extends GoneError {
  constructor(code: string) {
    super(`The short link "${code}" has expired`, 'link_expired');
  }
}

export class AliasTakenError extends ConflictError {
  constructor(alias: string) {
    super(`The alias "${alias}" is already taken`, 'alias_taken');
  }
}

export class NotLinkOwnerError extends ForbiddenError {
  constructor(code: string) {
    super(`The short link "${code}" is not yours`, 'not_link_owner');
  }
}
