import { AppError, ConflictError, ForbiddenError, NotFoundError } from '../../shared/errors/index.js';

/*
 * The chat's errors: stable codes (docs/chat.md "Errors"), the same over HTTP (problem+json) and
 * over the socket (`{type:'error', code, detail}`). Each is an AppError subclass (the socket layer
 * tests `instanceof AppError` and sends `code` and `message`); `ChatError` is their union, for types.
 */

/** Any error the chat raises on purpose (the text policy's TextPolicyError too, for message text). */
export type ChatError = ConversationNotFoundError | MessageNotFoundError | MemberNotFoundError | ChatUserNotFoundError | NotAllowedError | BlockedError | ConversationFullError | ChatInputError | ChatRateLimitedError;

/** Not a conversation of the caller's (whether it exists is not revealed). */
export class ConversationNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`No conversation ${JSON.stringify(id)} of yours`, 'conversation_not_found');
  }
}

export class MessageNotFoundError extends NotFoundError {
  constructor(seq: number) {
    super(`No message ${seq} in this conversation`, 'message_not_found');
  }
}

export class MemberNotFoundError extends NotFoundError {
  constructor(username: string) {
    super(`"${username}" is not a member of this conversation`, 'member_not_found');
  }
}

export class ChatUserNotFoundError extends NotFoundError {
  constructor(username: string) {
    super(`No user "${username}"`, 'user_not_found');
  }
}

/** The caller's role does not allow it (or it is not theirs to do). */
export class NotAllowedError extends ForbiddenError {
  constructor(message: string) {
    super(message, 'not_allowed');
  }
}

/** A block stands between the two users (either way). */
export class BlockedError extends ForbiddenError {
  constructor(message = 'A block stands between you and this user') {
    super(message, 'blocked');
  }
}

export class ConversationFullError extends ConflictError {
  constructor(max: number) {
    super(`A conversation has at most ${max} members`, 'conversation_full');
  }
}

/** Input that the schema could not refuse: 400 with a stable code and the field. */
export class ChatInputError extends AppError {
  constructor(code: string, message: string, field: string) {
    super(code, 400, message, { extensions: { errors: [{ field, message }] } });
  }
}

/** Past the per-user send limit: 429 with Retry-After (the socket sends `retryAfter` seconds). */
export class ChatRateLimitedError extends AppError {
  readonly retryAfter: number;
  constructor(retryAfterMs: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super('rate_limited', 429, `Too many messages; retry in ${seconds} s`, { headers: { 'retry-after': String(seconds) }, extensions: { retryAfter: seconds } });
    this.retryAfter = seconds;
  }
}
