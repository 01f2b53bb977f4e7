import { randomBytes } from 'node:crypto';
import type { CachePort } from '../cache.port.js';

export interface VersionedKeysOptions {
  /** Where the versions live: the same cache as the entries, so every instance reads the same ones. */
  cache: CachePort;
  /** Put before every version key. */
  prefix: string;
  /** How long a version is kept; when it ends, its family starts afresh (its entries orphaned). */
  versionTtlMs: number;
}

/**
 * Invalidation by version: a family of entries ("all of user 7's lists") shares a version, and
 * every entry's key includes it. Bumping the version orphans the whole family at once (no need to
 * know its keys); the orphans leave with their TTL or the LRU.
 *
 * A version is a fresh token per bump (time, then random bits), not a counter incremented in
 * place: the cache port has no atomic increment, and a counter that was evicted would restart at
 * a number whose old entries may still be cached. A fresh token never brings an orphan back.
 *
 * Promise: a read that takes its key after `bump` resolves never sees an entry filled under an
 * earlier version. Read the key (the version) before reading the source: a load that read the
 * source before a bump then fills an orphaned key, whoever and wherever it is.
 */
export class VersionedKeys {
  readonly #cache: CachePort;
  readonly #prefix: string;
  readonly #ttlMs: number;

  constructor(options: VersionedKeysOptions) {
    this.#cache = options.cache;
    this.#prefix = options.prefix;
    this.#ttlMs = options.versionTtlMs;
  }

  /** The family's current version, starting one if it has none. */
  async version(family: string): Promise<string> {
    const current = await this.#cache.get<string>(this.#prefix + family);
    if (current !== undefined) return current;
    // Two instances may start one at once; the loser's entries are orphaned, which costs a miss.
    const fresh = newVersion();
    await this.#cache.set(this.#prefix + family, fresh, this.#ttlMs);
    return fresh;
  }

  /** The key of `key` in `family` under its current version. */
  async key(family: string, key: string): Promise<string> {
    return `${family}@${await this.version(family)}:${key}`;
  }

  /** Orphans every entry of the family. */
  async bump(family: string): Promise<void> {
    await this.#cache.set(this.#prefix + family, newVersion(), this.#ttlMs);
  }
}

function newVersion(): string {
  return `${Date.now().toString(36)}.${randomBytes(6).toString('base64url')}`;
}
