import { AppError } from '../../shared/errors/index.js';

/** A refused notifications input (cursor, read mark): always a 400 with a stable code. */
export class NotificationInputError extends AppError {
  constructor(code: string, message: string, field: string) {
    super(code, 400, message, { extensions: { errors: [{ field, message }] } });
  }
}
