export interface DecorrelatedJitterOptions {
  /** The shortest delay, and the first delay's lower bound (ms, > 0). */
  baseMs: number;
  /** The longest delay (ms, >= baseMs). */
  capMs: number;
  /** Uniform in [0, 1) (default Math.random); tests pass a seeded one. */
  random?: () => number;
}

/** The delays before successive retries of one request. */
export interface DelaySequence {
  /** The delay before the next retry, in (fractional) milliseconds. */
  next(): number;
}

/**
 * Delays between retries, "decorrelated jitter" from the AWS Architecture Blog's "Exponential
 * Backoff And Jitter": `sleep = min(cap, random_between(base, sleep * 3))`, starting from
 * `sleep = base`. Each delay is drawn from a range that grows with the one before, so clients that
 * failed together spread out instead of retrying in lockstep, with less total work than full
 * jitter's. One sequence per request (each remembers its last delay); it never ends.
 */
export function decorrelatedJitter(options: DecorrelatedJitterOptions): DelaySequence {
  const { baseMs, capMs, random = Math.random } = options;
  if (!(baseMs > 0) || !Number.isFinite(baseMs)) throw new RangeError('baseMs must be a positive number');
  if (!(capMs >= baseMs) || !Number.isFinite(capMs)) throw new RangeError('capMs must be a finite number >= baseMs');
  let sleep = baseMs;
  return {
    next: () => (sleep = Math.min(capMs, baseMs + random() * (sleep * 3 - baseMs))),
  };
}

/** RFC 9110 §9.2.2: the methods whose repetition has the same effect as one request. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/**
 * Whether a request with this method may be retried without its effect happening twice (RFC 9110
 * §9.2.2): GET, HEAD, OPTIONS, PUT, DELETE and TRACE; not POST, PATCH or CONNECT. Method names are
 * case-sensitive (RFC 9110 §9.1), so `get` is an unknown method and, like any, not idempotent.
 */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}
