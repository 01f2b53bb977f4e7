import { ForbiddenError, UnauthorizedError } from '../../shared/errors/index.js';
import { parseInstant } from '../../shared/validation/index.js';
import type { Clock } from '../../platform/clock/index.js';
import { cleanText, hasForbiddenCharacters } from '../../shared/text/index.js';
import { allocateUniqueKey, type KeyGenerator } from './keygen/index.js';
import { checkAlias } from './alias-policy.js';
import { AliasTakenError, LinkExpiredError, LinkInputError, LinkNotFoundError, NotLinkOwnerError } from './links.errors.js';
import type { Link, LinkTarget } from './links.model.js';
import type { LinksRepository } from './links.repository.js';
import type { LinkCache } from './link-cache.js';
import { checkTargetUrl, type UrlPolicy } from './url-policy.js';

export interface CreateLinkInput {
  url: string;
  alias?: string | undefined;
  /** ISO 8601 date-time. */
  expiresAt?: string | undefined;
  redirect?: 301 | 302 | undefined;
  /** Statistics readable by anyone (default: by the owner only). */
  publicStats?: boolean | undefined;
}

export interface UpdateLinkInput {
  url?: string | undefined;
  /** ISO 8601 date-time, or null to never expire. */
  expiresAt?: string | null | undefined;
  redirect?: 301 | 302 | undefined;
  publicStats?: boolean | undefined;
}

/** A page of links and where the next one starts. */
export interface LinkPage {
  items: Link[];
  nextCursor: string | null;
}

export interface LinksServiceDeps {
  repository: LinksRepository;
  cache: LinkCache;
  keys: KeyGenerator;
  clock: Clock;
  urlPolicy: UrlPolicy;
  isReserved: (code: string) => boolean;
}

/** Creating, reading and resolving short links. */
export class LinksService {
  readonly #deps: LinksServiceDeps;

  constructor(deps: LinksServiceDeps) {
    this.#deps = deps;
  }

  /** Validates and stores a new link; the answer is durable once this resolves. */
  async create(input: CreateLinkInput, ownerId: string | null = null): Promise<Link> {
    const { repository, keys, clock, urlPolicy, isReserved, cache } = this.#deps;
    const url = checkTargetUrl(input.url, urlPolicy);
    const now = clock.now();
    const expiresAt = input.expiresAt === undefined ? null : parseExpiry(input.expiresAt, now);
    const redirect = input.redirect ?? 302;
    const publicStats = input.publicStats ?? false;
    // One object literal, not `{ ...base, code }`: a spread then a new key took V8's slow path for
    // every creation (3 % of the API thread under load).
    const linkOf = (code: string): Link => ({ code, url, ownerId, redirect, createdAt: now, expiresAt, publicStats });

    let link: Link;
    if (input.alias !== undefined) {
      const code = checkAlias(input.alias, isReserved);
      link = linkOf(code);
      if (!(await repository.insert(link))) throw new AliasTakenError(code);
    } else {
      link = await allocateUniqueKey(keys, url, async (code) => {
        const candidate = linkOf(code);
        return (await repository.insert(candidate)) ? candidate : 'taken';
      }, { isReserved });
    }
    // The code may have been remembered as unknown (negative cache).
    await cache.invalidate(link.code);
    return link;
  }

  /** The link, or a 404. */
  async get(code: string): Promise<Link> {
    // No code holds a control character (NUL would fail the query on PostgreSQL): unknown, unasked.
    if (hasForbiddenCharacters(code)) throw new LinkNotFoundError(code);
    const link = await this.#deps.repository.findByCode(code);
    if (link === null) throw new LinkNotFoundError(code);
    return link;
  }

  /** The owner's links, newest first, `limit` at a time. */
  async list(ownerId: string, options: { cursor?: string | undefined; limit: number; q?: string | undefined }): Promise<LinkPage> {
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const q = options.q === undefined ? undefined : cleanText(options.q, { field: 'querystring/q', label: 'A search', maxLength: 200, minLength: 0 });
    const rows = await this.#deps.repository.listByOwner(ownerId, options.limit + 1, after, q === '' ? undefined : q);
    const items = rows.slice(0, options.limit);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > options.limit && last !== undefined ? encodeCursor(last) : null };
  }

  /** Changes a link of `userId`'s; the cached target is dropped at once. */
  async update(code: string, userId: string, input: UpdateLinkInput): Promise<Link> {
    const { repository, urlPolicy, clock, cache } = this.#deps;
    await this.#owned(code, userId);
    const patch: { url?: string; expiresAt?: number | null; redirect?: 301 | 302; publicStats?: boolean } = {};
    if (input.publicStats !== undefined) patch.publicStats = input.publicStats;
    if (input.url !== undefined) patch.url = checkTargetUrl(input.url, urlPolicy);
    if (input.expiresAt !== undefined) patch.expiresAt = input.expiresAt === null ? null : parseExpiry(input.expiresAt, clock.now());
    if (input.redirect !== undefined) patch.redirect = input.redirect;
    // The schema asks for one known field; callers other than the route may not.
    if (Object.keys(patch).length === 0) throw new LinkInputError('update_empty', 'Nothing to change: send url, expiresAt or redirect', '');
    const updated = await repository.update(code, patch);
    await cache.invalidate(code);
    if (updated === null) throw new LinkNotFoundError(code);
    return updated;
  }

  /**
   * Throws unless `userId` (null: anonymous) may read the link's statistics: its owner, or anyone
   * when the owner made them public or the link has no owner (its code, unguessable by default, is
   * the only way to it). 404 for unknown links, 401/403 `stats_private` otherwise.
   */
  async assertStatsReadable(code: string, userId: string | null): Promise<void> {
    const link = await this.get(code);
    if (link.publicStats || link.ownerId === null || link.ownerId === userId) return;
    if (userId === null) throw new UnauthorizedError('The statistics of this link are its owner\'s: sign in', 'stats_private');
    throw new ForbiddenError('The statistics of this link are its owner\'s (they may make them public)', 'stats_private');
  }

  /** Deletes a link of `userId`'s: it stops redirecting at once and its code is never handed out again. */
  async remove(code: string, userId: string): Promise<void> {
    await this.#owned(code, userId);
    await this.#deps.repository.markDeleted(code, this.#deps.clock.now());
    await this.#deps.cache.invalidate(code);
  }

  async #owned(code: string, userId: string): Promise<Link> {
    const link = await this.get(code);
    if (link.ownerId !== userId) throw new NotLinkOwnerError(code);
    return link;
  }

  /**
   * The redirect target of a live code when the cache in this process holds it, answered at once;
   * undefined in every other case (unknown, expired, not held here), which `resolve` answers.
   */
  resolveNow(code: string): LinkTarget | undefined {
    const target = this.#deps.cache.peek(code);
    if (target == null || (target.expiresAt !== null && target.expiresAt <= this.#deps.clock.now())) return undefined;
    return target;
  }

  /** The redirect target of a code, through the cache: 404 when unknown, 410 when expired. */
  async resolve(code: string): Promise<LinkTarget> {
    if (hasForbiddenCharacters(code)) throw new LinkNotFoundError(code);
    const target = await this.#deps.cache.get(code);
    if (target === null) throw new LinkNotFoundError(code);
    if (target.expiresAt !== null && target.expiresAt <= this.#deps.clock.now()) throw new LinkExpiredError(code);
    return target;
  }
}

function parseExpiry(value: string, now: number): number {
  const t = parseInstant(value);
  if (t === null) throw new LinkInputError('expiry_invalid', 'expiresAt is not an ISO 8601 date-time of years 1970-9999', '/expiresAt');
  if (t <= now) throw new LinkInputError('expiry_in_past', 'expiresAt must be in the future', '/expiresAt');
  return t;
}

function encodeCursor(link: Link): string {
  return Buffer.from(JSON.stringify([link.createdAt, link.code])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: number; code: string } {
  try {
    const [createdAt, code] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'number' && Number.isSafeInteger(createdAt) && typeof code === 'string') return { createdAt, code };
  } catch {
    // fall through
  }
  throw new LinkInputError('cursor_invalid', 'The cursor is not one this API gave out', '/cursor');
}
