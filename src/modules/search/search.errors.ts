import { AppError } from '../../shared/errors/index.js';

/** A refused search input (query, cursor): always a 400 with a stable code. */
export class SearchInputError extends AppError {
  constructor(code: string, message: string, field: string) {
    super(code, 400, message, { extensions: { errors: [{ field, message }] } });
  }
}
