import type { RateLimitAlgorithm, RateLimitRule } from './ratelimit.port.js';

/** Whose requests a policy counts together. */
export type RateLimitKeyKind = 'ip' | 'user' | 'apikey' | 'global';

/** What a policy does when its store cannot be reached: let requests through, or refuse them. */
export type RateLimitFailMode = 'open' | 'closed';

/** A parsed policy specification. */
export interface PolicySpec {
  rule: RateLimitRule;
  by: RateLimitKeyKind;
  fail: RateLimitFailMode;
}

const ALGORITHMS: readonly RateLimitAlgorithm[] = ['token-bucket', 'leaky-bucket', 'fixed-window', 'sliding-log', 'sliding-counter', 'gcra'];
const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const KEYS: readonly RateLimitKeyKind[] = ['ip', 'user', 'apikey', 'global'];

/**
 * Parses a policy written the way operators think of one:
 * `<algorithm> <limit>/<window> [burst=N] [delay=N | nodelay] [by=ip|user|apikey|global] [fail=open|closed]`,
 * e.g. `leaky-bucket 10/1s burst=20 nodelay` (nginx's `rate=10r/s burst=20 nodelay`) or
 * `gcra 30/1m burst=10 by=user`. A window is a number and a unit (ms, s, m, h, d); `/s` means `/1s`.
 * Returns an error message instead of throwing, so configuration can list every problem at once.
 */
export function parsePolicySpec(text: string): PolicySpec | string {
  const [algorithm, rate, ...options] = text.trim().split(/\s+/);
  if (!ALGORITHMS.includes(algorithm as RateLimitAlgorithm)) return `unknown algorithm "${algorithm ?? ''}" (one of ${ALGORITHMS.join(', ')})`;
  const m = /^(\d+)\/(\d*)(ms|s|m|h|d)$/.exec(rate ?? '');
  if (!m) return `rate "${rate ?? ''}" is not <limit>/<window>, e.g. 10/1s or 100/5m`;
  const limit = Number(m[1]);
  const windowMs = Number(m[2] || 1) * UNITS[m[3]!]!;
  if (limit < 1 || windowMs < 1) return 'limit and window must be positive';
  const spec: PolicySpec = { rule: { algorithm: algorithm as RateLimitAlgorithm, limit, windowMs }, by: 'ip', fail: 'open' };
  let nodelay = false;
  for (const option of options) {
    const [name, value = ''] = option.split('=');
    if (name === 'nodelay' && value === '') nodelay = true;
    else if ((name === 'burst' || name === 'delay') && /^\d+$/.test(value)) spec.rule[name] = Number(value);
    else if (name === 'by' && KEYS.includes(value as RateLimitKeyKind)) spec.by = value as RateLimitKeyKind;
    else if (name === 'fail' && (value === 'open' || value === 'closed')) spec.fail = value;
    else return `option "${option}" is not one of burst=N, delay=N, nodelay, by=${KEYS.join('|')}, fail=open|closed`;
  }
  if (nodelay) {
    if (spec.rule.delay !== undefined) return 'nodelay and delay=N exclude each other';
    spec.rule.delay = spec.rule.burst ?? 0;
  }
  if ((spec.rule.delay !== undefined || nodelay) && algorithm !== 'leaky-bucket') return 'delay and nodelay apply to leaky-bucket only';
  if (spec.rule.delay !== undefined && spec.rule.delay > (spec.rule.burst ?? 0)) return 'delay cannot exceed burst';
  return spec;
}
