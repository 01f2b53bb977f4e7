import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RateLimitPolicyConfig } from '../config/index.js';
import type { RateLimitDecision, RateLimitStore } from '../platform/ratelimit/index.js';
import type { RateLimitKeyKind } from '../platform/ratelimit/policy-spec.js';
import { AppError } from '../shared/errors/index.js';
import type { Metrics } from '../observability/metrics.js';
import { FastCounter } from '../observability/fast-counter.js';
import { sendProblem } from './error-handler.js';

/** Operations endpoints that load balancers and scrapers call often: never limited. */
const EXEMPT = new Set(['GET /healthz', 'GET /readyz', 'GET /metrics']);

export interface RateLimitOptions {
  store: RateLimitStore;
  policies: readonly RateLimitPolicyConfig[];
  metrics: Metrics;
  logger: Logger;
}

interface Prepared {
  config: RateLimitPolicyConfig;
  /** `"name";q=..;w=..`: this policy's item in RateLimit-Policy. */
  item: string;
  quota: number;
}

/** Who a request is, for a policy: the signed-in user or API key when there is one, else the address. */
function keyOf(kind: RateLimitKeyKind, request: FastifyRequest): string {
  if (kind === 'global') return 'all';
  const r = request as FastifyRequest & { userId?: string; apiKeyId?: string };
  if (kind === 'user' && r.userId !== undefined) return `u:${r.userId}`;
  if (kind === 'apikey' && r.apiKeyId !== undefined) return `k:${r.apiKeyId}`;
  return `ip:${request.ip}`;
}

/** The quota a client is told about: requests per window, or what a bucket lets through at once. */
function quotaOf(p: RateLimitPolicyConfig): number {
  const { algorithm, limit, burst } = p.spec.rule;
  if (algorithm === 'token-bucket') return burst ?? limit;
  if (algorithm === 'gcra' || algorithm === 'leaky-bucket') return (burst ?? 0) + 1;
  return limit;
}

class RateLimitUnavailableError extends AppError {
  constructor() {
    super('rate_limit_unavailable', 503, 'The rate limiter cannot be reached; try again shortly', { headers: { 'retry-after': '1' } });
  }
}

class TooManyRequestsError extends AppError {
  constructor(policy: string, retryAfterMs: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super('rate_limited', 429, `Too many requests (policy "${policy}"); retry in ${seconds} s`, { headers: { 'retry-after': String(seconds) }, extensions: { policy, retryAfter: seconds } });
  }
}

/**
 * The edge's rate limiting: every request is checked against the policies of its route (nginx
 * `limit_req` semantics for leaky buckets: delayed, not refused, between `delay` and `burst`),
 * answers carry `RateLimit-Policy` and `RateLimit` (IETF httpapi draft), refusals are 429
 * problem+json with `Retry-After`, and a refused request never reaches its handler (so it is never
 * counted as a click). A `not-found` policy counts 404 answers and refuses once they run out.
 */
export function registerRateLimits(app: FastifyInstance, options: RateLimitOptions): void {
  const { store, metrics, logger } = options;
  if (options.policies.length === 0) return;
  const decisions = new FastCounter(metrics.registry, 'ratelimit_decisions_total', 'Rate-limit decisions by policy and result (allowed, delayed, refused).', ['policy', 'result']);
  const storeErrors = new FastCounter(metrics.registry, 'ratelimit_store_errors_total', 'Rate-limit decisions the store could not make, by policy and what was done (open: let through, closed: refused).', ['policy', 'mode']);
  const prepared: Prepared[] = options.policies.map((config) => {
    const quota = quotaOf(config);
    return { config, quota, item: `"${config.name}";q=${quota};w=${Math.max(1, Math.round(config.spec.rule.windowMs / 1000))}` };
  });
  const byRoute = new Map<string, { counting: Prepared[]; probes: Prepared[]; policyHeader: string }>();
  const forRoute = (route: string) => {
    let entry = byRoute.get(route);
    if (entry === undefined) {
      const applies = (p: Prepared) => !EXEMPT.has(route) && (p.config.routes === 'all' || p.config.routes.includes(route));
      const counting = prepared.filter((p) => applies(p) && p.config.counts === 'requests');
      const probes = prepared.filter((p) => applies(p) && p.config.counts === 'not-found');
      entry = { counting, probes, policyHeader: [...counting, ...probes].map((p) => p.item).join(', ') };
      byRoute.set(route, entry);
    }
    return entry;
  };
  const routeOf = (request: FastifyRequest) => `${request.method === 'HEAD' ? 'GET' : request.method} ${request.routeOptions.url ?? '*'}`;
  let lastErrorLog = 0;

  /** Asks the store; on failure applies the policy's fail mode. `undefined` means "let through, no data". */
  const decide = async (p: Prepared, request: FastifyRequest, cost: number): Promise<RateLimitDecision | undefined> => {
    try {
      return await store.decide(p.config.spec.rule, `${p.config.name}:${keyOf(p.config.spec.by, request)}`, cost);
    } catch (error) {
      storeErrors.inc([p.config.name, p.config.spec.fail]);
      if (Date.now() - lastErrorLog > 10_000) {
        lastErrorLog = Date.now();
        logger.warn({ err: error, policy: p.config.name, mode: p.config.spec.fail }, 'rate-limit store unavailable');
      }
      if (p.config.spec.fail === 'closed') throw new RateLimitUnavailableError();
      return undefined;
    }
  };

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const { counting, probes, policyHeader } = forRoute(routeOf(request));
    if (policyHeader === '') return;
    const items: string[] = [];
    let delayMs = 0;
    try {
      for (const p of probes) {
        const d = await decide(p, request, 0);
        if (d === undefined) continue;
        items.push(`"${p.config.name}";r=${d.remaining};t=${Math.ceil(d.resetMs / 1000)}`);
        // A probe policy is only looked at here; an address with none left is refused until it refills.
        if (d.remaining <= 0) throw new TooManyRequestsError(p.config.name, d.retryAfterMs || d.resetMs);
      }
      for (const p of counting) {
        const d = await decide(p, request, 1);
        if (d === undefined) continue;
        items.push(`"${p.config.name}";r=${d.remaining};t=${Math.ceil(d.resetMs / 1000)}`);
        if (!d.allowed) throw new TooManyRequestsError(p.config.name, d.retryAfterMs);
        if (d.delayMs > 0) decisions.inc([p.config.name, 'delayed']);
        else decisions.inc([p.config.name, 'allowed']);
        delayMs = Math.max(delayMs, d.delayMs);
      }
    } catch (error) {
      if (error instanceof TooManyRequestsError) decisions.inc([String(error.extensions?.policy), 'refused']);
      reply.header('ratelimit-policy', policyHeader);
      if (items.length > 0) reply.header('ratelimit', items.join(', '));
      return sendProblem(reply, request, error as AppError);
    }
    reply.header('ratelimit-policy', policyHeader);
    if (items.length > 0) reply.header('ratelimit', items.join(', '));
    // nginx holds a request between `delay` and `burst` until the bucket has leaked enough.
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  });

  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    if (reply.statusCode !== 404) return;
    const { probes } = forRoute(routeOf(request));
    for (const p of probes) await decide(p, request, 1).catch(() => undefined);
  });
}
