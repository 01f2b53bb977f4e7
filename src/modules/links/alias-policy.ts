import { LinkInputError } from './links.errors.js';

/** Paths the service uses or will use at its root; never handed out as codes. */
export const RESERVED_WORDS: readonly string[] = [
  'api', 'app', 'admin', 'assets', 'auth', 'console', 'docs', 'healthz', 'readyz', 'metrics', 'static',
  'login', 'logout', 'signup', 'register', 'settings', 'account', 'me', 'home', 'search', 'stream',
  'notifications', 'users', 'u', 'tweets', 'links', 'new', 'about', 'help', 'index', 'www', 'oauth',
  'chat',
];

const ALIAS = /^[A-Za-z0-9_-]{3,64}$/;

/** Reserved-word check, case-insensitive so `API` cannot shadow `api` for a human reader. */
export function makeReservedCheck(extra: readonly string[]): (code: string) => boolean {
  const words = new Set([...RESERVED_WORDS, ...extra].map((w) => w.toLowerCase()));
  return (code) => words.has(code.toLowerCase());
}

/** Checks a custom alias: 3 to 64 of letters, digits, `_` and `-`, not a reserved word. */
export function checkAlias(alias: string, isReserved: (code: string) => boolean): string {
  if (!ALIAS.test(alias)) {
    throw new LinkInputError('alias_invalid', 'An alias is 3 to 64 characters: letters, digits, "_" and "-"', '/alias');
  }
  if (isReserved(alias)) throw new LinkInputError('alias_reserved', `"${alias}" is reserved`, '/alias');
  return alias;
}
