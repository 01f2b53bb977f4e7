/** Socket error codes of a server that cannot be reached. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** What node-postgres says, without a code, when a connection fails or breaks. */
const CONNECTION_MESSAGES = /connection terminated|timeout exceeded when trying to connect|not queryable|connection error/i;
/** SQLSTATEs of a server that is going away or not yet there: 08 connection exceptions, shutdowns, start-up. */
const UNAVAILABLE_STATES = /^(08...|57P01|57P02|57P03)$/;
/** SQLSTATEs worth running elsewhere, the replica being fine: recovery conflicts (40001), too many connections. */
const RETRYABLE_STATES = new Set(['40001', '53300']);

/**
 * Why a read failed on a replica, as far as where to run it again goes:
 * - `unavailable`: the replica cannot be reached; avoid it until a probe finds it again;
 * - `retryable`: this statement failed there (cancelled by a recovery conflict, no free
 *   connection), the replica is otherwise fine;
 * - `undefined`: the read itself is at fault (a SQL error, a bug): the primary would fail alike.
 */
export function classifyReplicaError(error: unknown): 'unavailable' | 'retryable' | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  // Before SQLSTATEs: EPIPE has their shape.
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return 'unavailable';
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    if (UNAVAILABLE_STATES.test(code)) return 'unavailable';
    return RETRYABLE_STATES.has(code) ? 'retryable' : undefined;
  }
  if (error instanceof AggregateError && error.errors.some((e) => classifyReplicaError(e) === 'unavailable')) return 'unavailable';
  return error instanceof Error && CONNECTION_MESSAGES.test(error.message) ? 'unavailable' : undefined;
}
