/**
 * Mastodon's scopes: four broad ones (`read`, `write`, `follow`, `push`), `profile`, and the
 * granular `read:*` / `write:*`. A broad scope stands for the granular ones it names; every check
 * works on those expanded sets, so `read` covers `read:statuses` and `read:statuses` never covers
 * `read`. `admin:*` scopes are not offered: Blueprint has no admin API for apps.
 */
const GRANULAR = {
  read: ['accounts', 'blocks', 'bookmarks', 'favourites', 'filters', 'follows', 'lists', 'mutes', 'notifications', 'search', 'statuses'],
  write: ['accounts', 'blocks', 'bookmarks', 'conversations', 'favourites', 'filters', 'follows', 'lists', 'media', 'mutes', 'notifications', 'reports', 'statuses'],
} as const;

/** What each scope a client may name stands for. */
const EXPANSION: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ['read', GRANULAR.read.map((s) => `read:${s}`)],
  ['write', GRANULAR.write.map((s) => `write:${s}`)],
  // Mastodon's legacy `follow`: the relationship scopes.
  ['follow', ['read:blocks', 'read:follows', 'read:mutes', 'write:blocks', 'write:follows', 'write:mutes']],
  ['push', ['push']],
  ['profile', ['profile']],
  ...GRANULAR.read.map((s) => [`read:${s}`, [`read:${s}`]] as const),
  ...GRANULAR.write.map((s) => [`write:${s}`, [`write:${s}`]] as const),
]);

/** Every scope a client may ask for, as the metadata document lists them. */
export const SUPPORTED_SCOPES: readonly string[] = [...EXPANSION.keys()];

/** Mastodon's default when a client names none. */
export const DEFAULT_SCOPE = 'read';

const MAX_SCOPE_LENGTH = 1024;

/** A parsed, validated scope list: the names as given (deduplicated) and what they stand for. */
export class Scopes {
  readonly names: readonly string[];
  readonly #granted: ReadonlySet<string>;

  private constructor(names: readonly string[]) {
    this.names = names;
    this.#granted = new Set(names.flatMap((n) => EXPANSION.get(n) ?? []));
  }

  /**
   * Parses a space-separated list (RFC 6749 §3.3; Mastodon also accepts `+` and commas from old
   * clients); empty or absent is `fallback`. Null when a scope is unknown or the list is too long.
   */
  static parse(text: string | undefined | null, fallback = DEFAULT_SCOPE): Scopes | null {
    const raw = text === undefined || text === null || text.trim() === '' ? fallback : text;
    if (raw.length > MAX_SCOPE_LENGTH) return null;
    const names = [...new Set(raw.split(/[\s+,]+/).filter((n) => n !== ''))];
    if (names.length === 0 || names.some((n) => !EXPANSION.has(n))) return null;
    return new Scopes(names);
  }

  /** True when everything `other` stands for is within these (no escalation). */
  includes(other: Scopes): boolean {
    for (const s of other.#granted) if (!this.#granted.has(s)) return false;
    return true;
  }

  /** True when a route needing any one of `required` (granular names) may be called. */
  allows(...required: string[]): boolean {
    return required.some((r) => this.#granted.has(r));
  }

  toString(): string {
    return this.names.join(' ');
  }
}
