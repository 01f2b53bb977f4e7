import type { Clock } from '../../platform/clock/index.js';
import type { IdGenerator } from '../../platform/ids/index.js';
import type { RequestContext } from './accounts.model.js';
import type { AuditRepository } from './audit.repository.js';

export type AuditKind =
  | 'signup'
  | 'login_succeeded'
  | 'login_failed'
  | 'refresh_token_reuse'
  | 'logout'
  | 'api_key_created'
  | 'api_key_revoked'
  | 'password_rehashed';

/** Details are small, flat and chosen by this module's code: never a password, token or key. */
export type AuditDetails = Record<string, string | number | boolean | null>;

/** One entry of the trail. */
export interface AuditEvent {
  /** Snowflake id, decimal. */
  id: string;
  /** Epoch ms. */
  at: number;
  kind: AuditKind;
  userId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: AuditDetails;
}

export interface AuditQuery {
  userId?: string | undefined;
  /** 1..500. */
  limit: number;
  /** Id of the last event of the previous page: events before it (older) are listed. */
  before?: string | undefined;
}

export const USER_AGENT_MAX_LENGTH = 256;
/** Logins are truncated: people sometimes type their password into the login field. */
export const LOGIN_NAME_MAX_LENGTH = 64;
const ID_DIGITS = 20;
const DECIMAL = /^[0-9]{1,20}$/;

/** Truncates to `max` code points (what PostgreSQL's varchar(n) counts), never halving a surrogate pair. */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  return [...value].slice(0, max).join('');
}

/** The security trail: who signed up, logged in or failed to, reused a token, made or revoked a key. */
export class AuditLog {
  readonly #repo: AuditRepository;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;

  constructor(deps: { repository: AuditRepository; clock: Clock; ids: IdGenerator }) {
    this.#repo = deps.repository;
    this.#clock = deps.clock;
    this.#ids = deps.ids;
  }

  async record(kind: AuditKind, event: { userId: string | null; context: RequestContext | undefined; details?: AuditDetails }): Promise<void> {
    const { context } = event;
    await this.#repo.insert({
      // Zero-padded: ids grow in length over the years, and text order must stay numeric order.
      id: this.#ids.next().toString().padStart(ID_DIGITS, '0'),
      at: this.#clock.now(),
      kind,
      user_id: event.userId,
      ip: context?.ip === undefined ? null : truncate(context.ip, 45),
      user_agent: context?.userAgent === undefined ? null : truncate(context.userAgent, USER_AGENT_MAX_LENGTH),
      details: JSON.stringify(event.details ?? {}),
    });
  }

  /** Events, newest first, of everyone or of one user; page with `before`. */
  async list(query: AuditQuery): Promise<AuditEvent[]> {
    const limit = Math.min(Math.max(Math.trunc(query.limit), 1), 500);
    if (query.before !== undefined && !DECIMAL.test(query.before)) throw new RangeError('before must be an event id');
    const rows = await this.#repo.list({
      userId: query.userId,
      limit,
      before: query.before === undefined ? undefined : query.before.padStart(ID_DIGITS, '0'),
    });
    return rows.map((r) => ({
      id: BigInt(r.id).toString(),
      at: r.at,
      kind: r.kind as AuditKind,
      userId: r.user_id,
      ip: r.ip,
      userAgent: r.user_agent,
      details: JSON.parse(r.details) as AuditDetails,
    }));
  }
}
