import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes, base64url: 256 bits, beyond guessing. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * SHA-256 (hex) of a token. Enough for high-entropy random tokens: a salted slow hash only helps
 * secrets people choose; a 256-bit token cannot be found from its hash by search. A plain hash
 * also lets the token be looked up by an index.
 */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** API keys announce themselves (secret scanners can match `bp_`) and are told apart from JWTs. */
export const API_KEY_PREFIX = 'bp_';
const API_KEY = /^bp_[A-Za-z0-9_-]{43}$/;
/** Characters of a key kept for display: `bp_` and 8 more (48 of its 256 bits). */
export const API_KEY_DISPLAY_LENGTH = 11;

export interface NewApiKey {
  /** Shown once, to its creator. */
  key: string;
  hash: string;
  prefix: string;
}

export function newApiKey(): NewApiKey {
  const key = `${API_KEY_PREFIX}${randomToken(32)}`;
  return { key, hash: sha256Hex(key), prefix: key.slice(0, API_KEY_DISPLAY_LENGTH) };
}

/** True when the bearer credential claims to be an API key (it may still be unknown or malformed). */
export function isApiKeyLike(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

/** True when the string has the exact shape of a key we issue. */
export function isWellFormedApiKey(token: string): boolean {
  return API_KEY.test(token);
}
