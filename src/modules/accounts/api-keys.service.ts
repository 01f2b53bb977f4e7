import { LRUCache } from 'lru-cache';
import type { Clock } from '../../platform/clock/index.js';
import type { IdGenerator } from '../../platform/ids/index.js';
import { ApiKeyLimitError, ApiKeyNotFoundError, InvalidTokenError } from './accounts.errors.js';
import type { Principal, RequestContext } from './accounts.model.js';
import type { ApiKey, ApiKeysRepository } from './api-keys.repository.js';
import type { AuditLog } from './audit-log.js';
import { isWellFormedApiKey, newApiKey, sha256Hex } from './secret-token.js';
import { cleanText } from '../../shared/text/index.js';

export const API_KEY_NAME_MAX_LENGTH = 100;
/** Active keys per user: enough for every script, bounded so that a runaway one cannot fill the table. */
export const MAX_ACTIVE_API_KEYS = 100;
/** lastUsedAt is written at most this often per key: a write on every request would cost more than the request. */
export const LAST_USED_WRITE_INTERVAL_MS = 60_000;

/** A freshly created key: the only time `key` is shown. */
export interface CreatedApiKey {
  id: string;
  name: string;
  key: string;
  createdAt: number;
}

/** API keys for scripts: created and listed by their owner, usable as `Authorization: Bearer bp_...`. */
export class ApiKeysService {
  readonly #repo: ApiKeysRepository;
  readonly #audit: AuditLog;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  /** When each recently used key last had lastUsedAt written (in this process). */
  readonly #lastWritten = new LRUCache<string, number>({ max: 10_000 });

  constructor(deps: { repository: ApiKeysRepository; audit: AuditLog; clock: Clock; ids: IdGenerator }) {
    this.#repo = deps.repository;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
    this.#ids = deps.ids;
  }

  async create(userId: string, rawName: string, context: RequestContext): Promise<CreatedApiKey> {
    const name = cleanText(rawName, { field: 'body/name', label: 'A key name', maxLength: API_KEY_NAME_MAX_LENGTH, code: 'api_key_name_invalid' });
    if ((await this.#repo.countActive(userId)) >= MAX_ACTIVE_API_KEYS) throw new ApiKeyLimitError(MAX_ACTIVE_API_KEYS);
    const { key, hash, prefix } = newApiKey();
    const created: ApiKey = { id: this.#ids.next().toString(), userId, name, prefix, createdAt: this.#clock.now(), lastUsedAt: null, revokedAt: null };
    await this.#repo.insert({ ...created, hash });
    await this.#audit.record('api_key_created', { userId, context, details: { apiKeyId: created.id, prefix } });
    return { id: created.id, name, key, createdAt: created.createdAt };
  }

  list(userId: string): Promise<ApiKey[]> {
    return this.#repo.listByUser(userId);
  }

  /** Revokes a key of `userId`: 404 for a key that is not theirs, exactly as for one that does not exist. */
  async revoke(userId: string, id: string, context: RequestContext): Promise<void> {
    const result = /^[0-9]{1,20}$/.test(id) ? await this.#repo.revoke(userId, id, this.#clock.now()) : null;
    if (result === null) throw new ApiKeyNotFoundError();
    if (result.changed) await this.#audit.record('api_key_revoked', { userId, context, details: { apiKeyId: id, prefix: result.key.prefix } });
  }

  /** The principal of a `bp_` key; 401 `invalid_api_key` when unknown, malformed or revoked. */
  async authenticate(key: string): Promise<Principal> {
    const found = isWellFormedApiKey(key) ? await this.#repo.findByHash(sha256Hex(key)) : null;
    if (found === null || found.revokedAt !== null) throw new InvalidTokenError('invalid_api_key', 'The API key is not valid');
    const now = this.#clock.now();
    const written = this.#lastWritten.get(found.id) ?? found.lastUsedAt ?? -Infinity;
    if (now - written >= LAST_USED_WRITE_INTERVAL_MS) {
      this.#lastWritten.set(found.id, now);
      await this.#repo.touch(found.id, now);
    }
    return { userId: found.userId, username: found.username, via: 'apikey', apiKeyId: found.id };
  }
}
