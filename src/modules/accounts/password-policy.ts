import { COMMON_PASSWORDS } from './common-passwords.js';
import type { FieldProblem } from './accounts.errors.js';

export const PASSWORD_MIN_CHARACTERS = 8;
/** argon2 takes any length, but the work to refuse or verify a huge input is the attacker's lever. */
export const PASSWORD_MAX_BYTES = 1024;
export const EMAIL_MAX_LENGTH = 254;

const USERNAME = /^[a-z0-9_]{3,30}$/;
// The WHATWG HTML `input type=email` grammar, with at least one dot in the domain: what browsers
// accept, without the quoted local parts and IP literals of RFC 5321 that no one types.
const EMAIL = /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** Usernames are compared and stored lower-case. */
export function normaliseUsername(username: string): string {
  return username.toLowerCase();
}

/** Emails are compared and stored trimmed and lower-case. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * The form passwords are hashed and checked in: NFKC, as NIST SP 800-63B §5.1.1.2 advises, so
 * that the same characters typed on another keyboard or OS (composed or not) give the same hash.
 */
export function normalisePassword(password: string): string {
  return password.normalize('NFKC');
}

export function checkUsername(username: string): FieldProblem | null {
  if (!USERNAME.test(username)) {
    return { field: 'body/username', code: 'username_invalid', message: 'A username is 3 to 30 characters: a-z, 0-9 and "_"' };
  }
  return null;
}

export function checkEmail(email: string): FieldProblem | null {
  if (email.length > EMAIL_MAX_LENGTH || !EMAIL.test(email)) {
    return { field: 'body/email', code: 'email_invalid', message: 'Not a valid email address' };
  }
  return null;
}

/**
 * The first rule the password breaks, or null. `username` and `email` are the normalised ones:
 * a password equal to either (ignoring case) is the first thing an attacker tries.
 */
export function checkPassword(password: string, identity: { username: string; email: string }): FieldProblem | null {
  const field = 'body/password';
  const normalised = normalisePassword(password);
  // Characters as people count them (code points), not UTF-16 units.
  if ([...normalised].length < PASSWORD_MIN_CHARACTERS) {
    return { field, code: 'password_too_short', message: `A password has at least ${PASSWORD_MIN_CHARACTERS} characters` };
  }
  if (Buffer.byteLength(normalised, 'utf8') > PASSWORD_MAX_BYTES) {
    return { field, code: 'password_too_long', message: `A password has at most ${PASSWORD_MAX_BYTES} bytes (UTF-8)` };
  }
  const lower = normalised.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) {
    return { field, code: 'password_too_common', message: 'This password is among the most common ones; choose another' };
  }
  if (lower === identity.username) return { field, code: 'password_equals_username', message: 'The password must not be the username' };
  if (lower === identity.email) return { field, code: 'password_equals_email', message: 'The password must not be the email address' };
  return null;
}

/** Every problem of a signup at once (empty when it is acceptable). Inputs are the normalised ones. */
export function checkSignup(input: { username: string; email: string; password: string }): FieldProblem[] {
  return [checkUsername(input.username), checkEmail(input.email), checkPassword(input.password, input)].filter((p): p is FieldProblem => p !== null);
}
