import { AppError, ForbiddenError, NotFoundError } from '../../shared/errors/index.js';

/** Refused input (text, reply target, self-follow, cursor): always a 400 with a stable code. */
export class TweetInputError extends AppError {
  constructor(code: string, message: string, field: string) {
    super(code, 400, message, { extensions: { errors: [{ field, message }] } });
  }
}

/** Missing or deleted: a deleted tweet answers exactly as one that never existed. */
export class TweetNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`No tweet ${id}`, 'tweet_not_found');
  }
}

export class NotTweetAuthorError extends ForbiddenError {
  constructor(id: string) {
    super(`Tweet ${id} is not yours`, 'not_tweet_author');
  }
}

export class FeedUserNotFoundError extends NotFoundError {
  constructor(username: string) {
    super(`No user "${username}"`, 'user_not_found');
  }
}

/** The cursor of a page is not one this API gave out. */
export function invalidCursor(): TweetInputError {
  return new TweetInputError('cursor_invalid', 'The cursor is not one this API gave out', '/cursor');
}
