import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Logger } from 'pino';
import type { RateLimitPolicyConfig } from '../config/index.js';
import type { RateLimitDecision, RateLimitRule, RateLimitStore } from '../platform/ratelimit/index.js';
import type { RateLimitKeyKind } from '../platform/ratelimit/policy-spec.js';
import { AppError } from '../shared/errors/index.js';
import type { Metrics } from '../observability/metrics.js';
import { FastCounter } from '../observability/fast-counter.js';
import { sendProblem } from './error-handler.js';
import type { ResponseObserver } from './request-context.plugin.js';
import { METRIC } from '../contracts/metric-names.js';

/** Operations endpoints that load balancers and scrapers call often: never limited. */
const EXEMPT = new Set(['GET /healthz', 'GET /readyz', 'GET /metrics']);

export interface RateLimitOptions {
  store: RateLimitStore;
  policies: readonly RateLimitPolicyConfig[];
  metrics: Metrics;
  logger: Logger;
  /** Where to hook work done after a response (probe policies count 404 answers there). */
  afterResponse: (observer: ResponseObserver) => void;
}

/** A policy ready for the request path: everything that does not depend on the request, computed once. */
interface Prepared {
  name: string;
  config: RateLimitPolicyConfig;
  /** Start of the store key: `<policy>:`. */
  keyPrefix: string;
  /** `"name";r=`: start of this policy's item in the RateLimit header. */
  itemPrefix: string;
  /** This policy's item in RateLimit-Policy. */
  policyItem: string;
  allowed: { value: number };
  delayed: { value: number };
  refused: { value: number };
}

/** The policies of one route, with its RateLimit-Policy value. */
interface RoutePolicies {
  counting: Prepared[];
  probes: Prepared[];
  active: boolean;
  /** RateLimit-Policy of the request-counting policies. */
  policyHeader: string;
}

/** Who a request is, for a policy: the signed-in user or API key when there is one, else the address. */
function keyOf(kind: RateLimitKeyKind, request: Pick<FastifyRequest, 'principal' | 'ip'>): string {
  if (kind === 'global') return 'all';
  const principal = request.principal;
  if (kind === 'user' && principal) return `u:${principal.userId}`;
  if (kind === 'apikey' && principal?.apiKeyId !== undefined) return `k:${principal.apiKeyId}`;
  return request.ip;
}

/** Where a decision made before Fastify routed the request (see RouteLimits.decideNow) waits for the hook. */
const DECIDED = Symbol('rate-limit outcome');
type Decided = IncomingMessage & { [DECIDED]?: Outcome | Promise<Outcome> };

/** The policies of the app, for a path answered before Fastify sees the request. */
export interface RouteLimits {
  /**
   * Decides now, for a request to `route` (`GET /:code`) from `ip` by `principal` (null:
   * anonymous): the headers to
   * send when it is let through at once. Undefined when the store cannot decide without waiting
   * (nothing was decided), or when the request is refused or held: Fastify then answers it, with
   * this decision (a request is never counted twice).
   */
  decideNow(route: string, raw: IncomingMessage, ip: string, principal?: FastifyRequest['principal']): [string, string][] | undefined;
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

/** What one request's decisions add up to. */
interface Outcome {
  /** Probe policies that refused, to add to RateLimit-Policy. */
  policies: string;
  items: string;
  delayMs: number;
  error: AppError | undefined;
}

/**
 * The edge's rate limiting: every request is checked against the policies of its route (nginx
 * `limit_req` semantics for leaky buckets: delayed, not refused, between `delay` and `burst`),
 * answers carry `RateLimit-Policy` and `RateLimit` (IETF httpapi draft), refusals are 429
 * problem+json with `Retry-After`, and a refused request never reaches its handler (so it is never
 * counted as a click). A `not-found` policy counts 404 answers and refuses once they run out.
 * With a store that answers synchronously (in memory) the hook takes no promise at all: it runs on
 * every request.
 */
export function registerRateLimits(app: FastifyInstance, options: RateLimitOptions): RouteLimits {
  const { store, metrics, logger } = options;
  if (options.policies.length === 0) return { decideNow: () => [] };
  const decisions = new FastCounter(metrics.registry, METRIC.rateLimits, 'Rate-limit decisions by policy and result (allowed, delayed, refused).', ['policy', 'result']);
  const storeErrors = new FastCounter(metrics.registry, 'ratelimit_store_errors_total', 'Rate-limit decisions the store could not make, by policy and what was done (open: let through, closed: refused).', ['policy', 'mode']);
  const prepared: Prepared[] = options.policies.map((config) => ({
    name: config.name,
    config,
    keyPrefix: `${config.name}:`,
    itemPrefix: `"${config.name}";r=`,
    policyItem: `"${config.name}";q=${quotaOf(config)};w=${Math.max(1, Math.round(config.spec.rule.windowMs / 1000))}`,
    allowed: decisions.series([config.name, 'allowed']),
    delayed: decisions.series([config.name, 'delayed']),
    refused: decisions.series([config.name, 'refused']),
  }));
  const byRoute = new Map<string, RoutePolicies>();
  const forRoute = (request: FastifyRequest): RoutePolicies => forRouteKey(`${request.method === 'HEAD' ? 'GET' : request.method} ${request.routeOptions.url ?? '*'}`);
  const forRouteKey = (route: string): RoutePolicies => {
    let entry = byRoute.get(route);
    if (entry === undefined) {
      const applies = (p: Prepared) => !EXEMPT.has(route) && (p.config.routes === 'all' || p.config.routes.includes(route));
      const counting = prepared.filter((p) => applies(p) && p.config.counts === 'requests');
      const probes = prepared.filter((p) => applies(p) && p.config.counts === 'not-found');
      entry = { counting, probes, active: counting.length + probes.length > 0, policyHeader: counting.map((p) => p.policyItem).join(', ') };
      byRoute.set(route, entry);
    }
    return entry;
  };
  // A decision without I/O: always in memory; from a lease when the store keeps them (undefined: ask).
  const local: ((rule: RateLimitRule, key: string, cost: number) => RateLimitDecision | undefined) | undefined = store.decideSync?.bind(store) ?? store.tryDecideSync?.bind(store);
  let lastErrorLog = 0;

  /** A store failure: counted, logged at most every 10 s, then the policy's fail mode. */
  const failed = (p: Prepared, error: unknown): AppError | undefined => {
    storeErrors.inc([p.name, p.config.spec.fail]);
    if (Date.now() - lastErrorLog > 10_000) {
      lastErrorLog = Date.now();
      logger.warn({ err: error, policy: p.name, mode: p.config.spec.fail }, 'rate-limit store unavailable');
    }
    return p.config.spec.fail === 'closed' ? new RateLimitUnavailableError() : undefined;
  };

  /**
   * Folds one decision into the outcome; returns false when the request is refused. A probe policy
   * is only looked at here (its quota is of 404 answers, not of requests), so it is advertised
   * only when it refuses: an address with none left is refused until it refills.
   */
  const apply = (p: Prepared, d: RateLimitDecision, probe: boolean, out: Outcome): boolean => {
    const refused = probe ? d.remaining <= 0 : !d.allowed;
    if (refused || !probe) {
      const item = `${p.itemPrefix}${d.remaining};t=${Math.ceil(d.resetMs / 1000)}`;
      out.items = out.items === '' ? item : `${out.items}, ${item}`;
    }
    if (refused) {
      p.refused.value++;
      out.policies = out.policies === '' ? p.policyItem : `${out.policies}, ${p.policyItem}`;
      out.error = new TooManyRequestsError(p.name, d.retryAfterMs > 0 ? d.retryAfterMs : d.resetMs);
      return false;
    }
    if (!probe) {
      if (d.delayMs > 0) {
        p.delayed.value++;
        if (d.delayMs > out.delayMs) out.delayMs = d.delayMs;
      } else p.allowed.value++;
    }
    return true;
  };

  const finish = (request: FastifyRequest, reply: FastifyReply, policies: RoutePolicies, out: Outcome, done: HookHandlerDoneFunction) => {
    const policy = out.policies === '' ? policies.policyHeader : policies.policyHeader === '' ? out.policies : `${out.policies}, ${policies.policyHeader}`;
    if (policy !== '') reply.header('ratelimit-policy', policy);
    if (out.items !== '') reply.header('ratelimit', out.items);
    if (out.error !== undefined) {
      sendProblem(reply, request, out.error);
      return;
    }
    // nginx holds a request between `delay` and `burst` until the bucket has leaked enough.
    if (out.delayMs > 0) setTimeout(done, out.delayMs);
    else done();
  };

  /** The policies of a route in the order they are decided: probes (a look, cost 0), then the counting ones. */
  const stepsOf = (policies: RoutePolicies): (readonly [Prepared, boolean])[] => [...policies.probes.map((p) => [p, true] as const), ...policies.counting.map((p) => [p, false] as const)];
  const steps = new WeakMap<RoutePolicies, (readonly [Prepared, boolean])[]>();

  /**
   * Decides every policy of a route for a request: synchronously while the store can answer
   * without I/O (in memory, or from a lease), then, from the first policy it cannot, by awaiting
   * it. Each policy is decided once.
   */
  const decide = (request: Pick<FastifyRequest, 'principal' | 'ip'>, policies: RoutePolicies): Outcome | Promise<Outcome> => {
    let list = steps.get(policies);
    if (list === undefined) steps.set(policies, (list = stepsOf(policies)));
    const out: Outcome = { policies: '', items: '', delayMs: 0, error: undefined };
    for (let i = 0; i < list.length; i++) {
      const [p, probe] = list[i]!;
      const d = local?.(p.config.spec.rule, p.keyPrefix + keyOf(p.config.spec.by, request), probe ? 0 : 1);
      if (d === undefined) return decideAsync(request, list, i, out);
      if (!apply(p, d, probe, out)) return out;
    }
    return out;
  };

  const decideAsync = async (request: Pick<FastifyRequest, 'principal' | 'ip'>, list: (readonly [Prepared, boolean])[], from: number, out: Outcome): Promise<Outcome> => {
    for (let i = from; i < list.length; i++) {
      const [p, probe] = list[i]!;
      let d: RateLimitDecision;
      try {
        d = await store.decide(p.config.spec.rule, p.keyPrefix + keyOf(p.config.spec.by, request), probe ? 0 : 1);
      } catch (error) {
        out.error = failed(p, error);
        if (out.error !== undefined) return out;
        continue;
      }
      if (!apply(p, d, probe, out)) return out;
    }
    return out;
  };

  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const policies = forRoute(request);
    const decided = (request.raw as Decided)[DECIDED] ?? (policies.active ? decide(request, policies) : undefined);
    if (decided === undefined) {
      done();
      return;
    }
    if (!(decided instanceof Promise)) {
      finish(request, reply, policies, decided, done);
      return;
    }
    decided.then(
      (out) => finish(request, reply, policies, out, done),
      (error: unknown) => done(error as Error),
    );
  });

  if (prepared.some((p) => p.config.counts === 'not-found')) {
    options.afterResponse((request, reply) => {
      if (reply.statusCode !== 404) return;
      for (const p of forRoute(request).probes) {
        store.decide(p.config.spec.rule, p.keyPrefix + keyOf(p.config.spec.by, request), 1).catch((error: unknown) => failed(p, error));
      }
    });
  }

  return {
    decideNow(route, raw, ip, principal = null) {
      const policies = forRouteKey(route);
      if (!policies.active) return [];
      if (local === undefined) return undefined;
      const out = decide({ principal, ip }, policies);
      if (out instanceof Promise || out.error !== undefined || out.delayMs > 0) {
        (raw as Decided)[DECIDED] = out;
        return undefined;
      }
      const headers: [string, string][] = [];
      if (policies.policyHeader !== '') headers.push(['ratelimit-policy', policies.policyHeader]);
      if (out.items !== '') headers.push(['ratelimit', out.items]);
      return headers;
    },
  };
}
