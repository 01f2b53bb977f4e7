import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { Pool, type Dispatcher } from 'undici';
import type { UpstreamConfig } from '../config/index.js';
import { Balancer, type BalancerPolicyName } from '../platform/balancer/index.js';
import type { Clock } from '../platform/clock/index.js';
import { CircuitBreaker, decorrelatedJitter, HealthChecker, isIdempotent, RetryBudget } from '../platform/resilience/index.js';
import { AppError } from '../shared/errors/index.js';

export interface UpstreamPoolOptions {
  upstreams: readonly UpstreamConfig[];
  policy: BalancerPolicyName;
  connections: number;
  maxConcurrent: number;
  timeoutMs: number;
  retries: number;
  retryBudget: number;
  health: { path: string; intervalMs: number; timeoutMs: number; healthyThreshold: number; unhealthyThreshold: number };
  passive: { consecutiveErrors: number; baseEjectionMs: number; maxEjectionPercent: number };
  slowStartMs: number;
  breaker: { failureThreshold: number; openMs: number };
  clock: Clock;
  logger: Logger;
  registry: Registry;
}

export interface ForwardRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer | undefined;
  /** Key of the hash policies: the client address (ip-hash) or the path (consistent-hash). */
  hashKey: string;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

export interface ForwardResponse {
  upstream: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  attempts: number;
}

/** Statuses that mean "this upstream could not handle it now": another may. */
const RETRY_STATUSES = new Set([502, 503, 504]);
/** Errors raised before the request reached the upstream: safe to retry whatever the method. */
const NOT_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);

export class UpstreamUnavailableError extends AppError {
  constructor(detail: string, code = 'upstream_unavailable') {
    super(code, 503, detail, { headers: { 'retry-after': '1' } });
  }
}

/**
 * The API pool behind the gateway: one keep-alive connection pool per upstream, our balancer to
 * choose among them, active health checks and passive ejection to keep dead ones out, a circuit
 * breaker over the whole pool, and retries on another upstream for requests that may be repeated,
 * spent from a retry budget so that retries never multiply an overload.
 */
export class UpstreamPool {
  readonly balancer: Balancer;
  readonly breaker: CircuitBreaker;
  readonly #pools = new Map<string, Pool>();
  readonly #checker: HealthChecker;
  readonly #budget: RetryBudget;
  readonly #options: UpstreamPoolOptions;
  readonly #metrics: { requests: Counter<'upstream' | 'outcome'>; retries: Counter<'reason'>; events: Counter<'upstream' | 'event'> };

  constructor(options: UpstreamPoolOptions) {
    this.#options = options;
    const { upstreams, clock, logger, registry } = options;
    if (upstreams.length === 0) throw new RangeError('the gateway needs at least one upstream');
    for (const u of upstreams) {
      this.#pools.set(
        u.address,
        new Pool(`http://${u.host.includes(':') ? `[${u.host}]` : u.host}:${u.port}`, {
          connections: options.connections,
          // Upstreams are ours and on a trusted network: keep connections for as long as they allow.
          keepAliveTimeout: 30_000,
          headersTimeout: options.timeoutMs,
          // Streams (SSE) stay open for as long as the client listens.
          bodyTimeout: 0,
          connectTimeout: Math.min(options.timeoutMs, 5_000),
        }),
      );
    }
    const events = new Counter({ name: 'gateway_upstream_events_total', help: 'Health changes, ejections and readmissions per upstream.', labelNames: ['upstream', 'event'], registers: [registry] });
    this.balancer = new Balancer(
      upstreams.map((u) => ({ id: u.address, weight: u.weight, backup: u.backup })),
      {
        policy: options.policy,
        clock,
        passive: options.passive,
        slowStartMs: options.slowStartMs,
        ...(options.maxConcurrent > 0 ? { maxConcurrent: options.maxConcurrent } : {}),
        onEvent: (event) => {
          events.inc({ upstream: event.id, event: event.type });
          logger.warn({ upstream: event.id, event: event.type }, 'upstream state changed');
        },
      },
    );
    this.breaker = new CircuitBreaker({
      failureThreshold: options.breaker.failureThreshold,
      openMs: options.breaker.openMs,
      clock,
      onStateChange: (from, to) => logger.warn({ from, to }, 'gateway circuit breaker changed state'),
    });
    this.#budget = new RetryBudget({ ratio: options.retryBudget, clock });
    this.#checker = new HealthChecker({
      targets: upstreams.map((u) => u.address),
      intervalMs: options.health.intervalMs,
      timeoutMs: options.health.timeoutMs,
      healthyThreshold: options.health.healthyThreshold,
      unhealthyThreshold: options.health.unhealthyThreshold,
      probe: (id, signal) => this.#probe(id, signal),
      onChange: (id, healthy) => this.balancer.setHealthy(id, healthy),
    });
    this.#metrics = {
      requests: new Counter({ name: 'gateway_upstream_requests_total', help: 'Attempts per upstream and outcome (ok, error status, connect error, timeout).', labelNames: ['upstream', 'outcome'], registers: [registry] }),
      retries: new Counter({ name: 'gateway_retries_total', help: 'Requests tried again on another upstream, by reason; refused ones were over the retry budget.', labelNames: ['reason'], registers: [registry] }),
      events,
    };
    const snapshot = () => this.balancer.snapshot();
    new Gauge({
      name: 'gateway_upstream_healthy',
      help: '1 when the upstream is in rotation (healthy and not ejected).',
      labelNames: ['upstream'],
      registers: [registry],
      collect() {
        const now = clock.now();
        for (const s of snapshot()) this.set({ upstream: s.id }, s.healthy && (s.ejectedUntil === undefined || s.ejectedUntil <= now) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'gateway_upstream_in_flight',
      help: 'Requests in flight per upstream.',
      labelNames: ['upstream'],
      registers: [registry],
      collect() {
        for (const s of snapshot()) this.set({ upstream: s.id }, s.inFlight);
      },
    });
    const breaker = this.breaker;
    new Gauge({
      name: 'gateway_breaker_state',
      help: 'The pool circuit breaker: 0 closed, 1 half-open, 2 open.',
      registers: [registry],
      collect() {
        this.set(breaker.state === 'closed' ? 0 : breaker.state === 'half-open' ? 1 : 2);
      },
    });
  }

  start(): void {
    this.#checker.start();
  }

  async close(): Promise<void> {
    await this.#checker.stop();
    await Promise.all([...this.#pools.values()].map((p) => p.close()));
  }

  async #probe(id: string, signal: AbortSignal): Promise<boolean> {
    const response = await this.#pools.get(id)!.request({ method: 'GET', path: this.#options.health.path, signal, headersTimeout: this.#options.health.timeoutMs });
    await response.body.dump();
    return response.statusCode === 200;
  }

  /**
   * Sends a request to one upstream, and to others while it may be retried. Resolves with the first
   * answer that is not a retryable failure; throws an AppError (502, 503, 504) when none came.
   */
  async forward(request: ForwardRequest): Promise<ForwardResponse> {
    const permit = this.breaker.tryAcquire();
    if (permit === undefined) throw new UpstreamUnavailableError('The API pool is failing; requests are refused for a moment (circuit open)', 'circuit_open');
    this.#budget.recordRequest();
    const idempotent = isIdempotent(request.method);
    const tried = new Set<string>();
    const delays = decorrelatedJitter({ baseMs: 5, capMs: 200 });
    for (let attempt = 1; ; attempt++) {
      const lease = this.balancer.pick({ key: request.hashKey, exclude: tried }) ?? (tried.size > 0 ? this.balancer.pick({ key: request.hashKey }) : undefined);
      if (lease === undefined) {
        permit.failure();
        throw new UpstreamUnavailableError('No API instance is available');
      }
      tried.add(lease.upstream);
      const started = performance.now();
      let response: Dispatcher.ResponseData;
      try {
        response = await this.#pools.get(lease.upstream)!.request({ method: request.method as Dispatcher.HttpMethod, path: request.path, headers: request.headers, body: request.body, signal: request.signal });
      } catch (error) {
        lease.done({ ok: false });
        if (request.signal.aborted) {
          permit.release();
          throw error;
        }
        const code = (error as { code?: string }).code ?? '';
        const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT';
        this.#metrics.requests.inc({ upstream: lease.upstream, outcome: timedOut ? 'timeout' : 'connect_error' });
        if (attempt <= this.#options.retries && (idempotent || NOT_SENT.has(code)) && this.#retry(timedOut ? 'timeout' : 'connect_error')) {
          await sleep(delays.next());
          continue;
        }
        permit.failure();
        if (timedOut) throw new AppError('upstream_timeout', 504, `The API did not answer within ${this.#options.timeoutMs} ms`);
        throw new AppError('upstream_unreachable', 502, 'The API could not be reached');
      }
      const latencyMs = performance.now() - started;
      const failed = response.statusCode >= 500;
      this.#metrics.requests.inc({ upstream: lease.upstream, outcome: failed ? `${response.statusCode}` : 'ok' });
      if (failed && RETRY_STATUSES.has(response.statusCode) && idempotent && attempt <= this.#options.retries && this.#retry(`status_${response.statusCode}`)) {
        lease.done({ ok: false, latencyMs });
        await response.body.dump().catch(() => {});
        await sleep(delays.next());
        continue;
      }
      if (failed) permit.failure();
      else permit.success();
      // The request counts as in flight until its body is over: a stream holds its upstream.
      let settled = false;
      const done = () => {
        if (settled) return;
        settled = true;
        lease.done({ ok: !failed, latencyMs });
      };
      response.body.once('end', done).once('close', done).once('error', done);
      return { upstream: lease.upstream, status: response.statusCode, headers: response.headers, body: response.body, attempts: attempt };
    }
  }

  #retry(reason: string): boolean {
    if (this.#budget.tryRetry()) {
      this.#metrics.retries.inc({ reason });
      return true;
    }
    this.#metrics.retries.inc({ reason: 'over_budget' });
    return false;
  }
}
