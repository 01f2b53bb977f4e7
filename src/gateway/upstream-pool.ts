import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { Pool, type Dispatcher } from 'undici';
import type { UpstreamConfig } from '../config/index.js';
import { Balancer, type BalancerPolicyName, type Lease } from '../platform/balancer/index.js';
import type { Clock } from '../platform/clock/index.js';
import { CircuitBreaker, decorrelatedJitter, HealthChecker, isIdempotent, RetryBudget, type DelaySequence } from '../platform/resilience/index.js';
import { AppError } from '../shared/errors/index.js';
import type { Span, Tracing } from '../observability/tracing.js';
import { METRIC } from '../contracts/metric-names.js';
import { FastCounter } from '../observability/fast-counter.js';

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
  tracing?: Tracing;
}

export interface ForwardRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer | undefined;
  /** Key of the hash policies: the client address (ip-hash) or the path (consistent-hash). */
  hashKey: string;
  /** Whether the client went away (then the upstream request is abandoned). */
  client: ClientState;
  /** The request's span: each attempt is a child span, whose traceparent the upstream receives. */
  span?: Span | undefined;
}

/** Set by the caller when the client disconnects; cheaper per request than an AbortController. */
export interface ClientState {
  gone: boolean;
  /**
   * The upstream request in flight, for the caller to abort when the client goes. A plain field,
   * not a closure: a closure made inside the dispatch handler keeps the handler's whole scope
   * reachable from the client's socket listeners, and the GC then promoted every request.
   */
  upstream: { abort(reason: Error): void } | undefined;
}

/** Flow control of a response being passed on: pause reading from the upstream while the client is slow. */
export interface Flow {
  pause(): void;
  resume(): void;
}

/** Where an upstream's answer goes, as it arrives. */
export interface ResponseSink {
  start(status: number, headers: Record<string, string | string[] | undefined>, flow: Flow): void;
  data(chunk: Buffer, flow: Flow): void;
  end(): void;
  /** The upstream failed after the head was passed on. */
  fail(error: Error): void;
}

type Attempt = { kind: 'passed'; status: number } | { kind: 'status'; status: number } | { kind: 'timeout' | 'not_sent' | 'lost' };

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
  /** Where each upstream listens (for connections outside the pools: WebSocket upgrades). */
  readonly #members = new Map<string, UpstreamConfig>();
  readonly #leaveListeners = new Set<(address: string) => void>();
  readonly #checker: HealthChecker;
  readonly #budget: RetryBudget;
  readonly #options: UpstreamPoolOptions;
  readonly #metrics: { requests: FastCounter<'upstream' | 'outcome'>; retries: Counter<'reason'>; events: Counter<'upstream' | 'event'> };
  readonly #counters = new Map<string, Record<'ok' | 'timeout' | 'not_sent' | 'lost', { value: number }> & { status(status: number): void }>();

  constructor(options: UpstreamPoolOptions) {
    this.#options = options;
    const { upstreams, clock, logger, registry } = options;
    for (const u of upstreams) {
      this.#pools.set(u.address, this.#connect(u));
      this.#members.set(u.address, u);
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
      requests: new FastCounter(registry, METRIC.upstreamRequests, 'Attempts per upstream and outcome: ok, a 5xx status, connect_error (not sent), connection_lost (sent, no answer), timeout.', ['upstream', 'outcome']),
      retries: new Counter({ name: METRIC.retries, help: 'Requests tried again on another upstream, by reason; refused ones were over the retry budget.', labelNames: ['reason'], registers: [registry] }),
      events,
    };
    const snapshot = () => this.balancer.snapshot();
    new Gauge({
      name: METRIC.upstreamHealthy,
      help: '1 when the upstream is in rotation (healthy and not ejected).',
      labelNames: ['upstream'],
      registers: [registry],
      collect() {
        // Upstreams come and go (discovery): only the current ones are reported.
        this.reset();
        const now = clock.now();
        for (const s of snapshot()) this.set({ upstream: s.id }, s.healthy && (s.ejectedUntil === undefined || s.ejectedUntil <= now) ? 1 : 0);
      },
    });
    new Gauge({
      name: METRIC.upstreamInFlight,
      help: 'Requests in flight per upstream.',
      labelNames: ['upstream'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of snapshot()) this.set({ upstream: s.id }, s.inFlight);
      },
    });
    const breaker = this.breaker;
    new Gauge({
      name: METRIC.breaker,
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

  /** The upstreams now (service discovery): new ones are connected, gone ones closed once their requests end. */
  setUpstreams(upstreams: readonly UpstreamConfig[]): void {
    const wanted = new Map(upstreams.map((u) => [u.address, u]));
    for (const [address, u] of wanted) {
      if (!this.#pools.has(address)) this.#pools.set(address, this.#connect(u));
      this.#members.set(address, u);
    }
    this.balancer.update(upstreams.map((u) => ({ id: u.address, weight: u.weight, backup: u.backup })));
    this.#checker.setTargets([...wanted.keys()]);
    for (const [address, pool] of this.#pools) {
      if (wanted.has(address)) continue;
      this.#pools.delete(address);
      this.#members.delete(address);
      void pool.close().catch(() => {});
      this.#left(address);
    }
  }

  /** Where an upstream of the pool listens, or undefined for one no longer in it. */
  endpoint(address: string): { host: string; port: number } | undefined {
    const u = this.#members.get(address);
    return u === undefined ? undefined : { host: u.host, port: u.port };
  }

  /**
   * Calls `listener` with an upstream's address when it leaves the pool (service discovery: an API
   * that stops withdraws its registration first; or a changed list). What outlives a request
   * (proxied WebSockets) is closed then. An upstream failing its health checks only gets no new
   * work: its open sockets stay, as Envoy's `close_connections_on_host_health_failure` is off by
   * default — a check that times out on a busy host must not cut thousands of sockets at once and
   * send them all, reconnecting, to the others. Returns the unsubscription.
   */
  onLeave(listener: (address: string) => void): () => void {
    this.#leaveListeners.add(listener);
    return () => void this.#leaveListeners.delete(listener);
  }

  #left(address: string): void {
    for (const listener of this.#leaveListeners) listener(address);
  }

  /** A GET of the gateway's own (the API's JWKS): one upstream chosen by the balancer, JSON answer or an error. */
  async fetchJson(path: string): Promise<unknown> {
    const lease = this.balancer.pick();
    if (lease === undefined) throw new UpstreamUnavailableError('No API instance is available');
    let ok = false;
    try {
      const response = await this.#pools.get(lease.upstream)!.request({ method: 'GET', path, headersTimeout: this.#options.timeoutMs });
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw new Error(`GET ${path} answered ${response.statusCode}`);
      }
      const body = await response.body.json();
      ok = true;
      return body;
    } finally {
      lease.done({ ok });
    }
  }

  get upstreams(): string[] {
    return [...this.#pools.keys()];
  }

  #connect(u: UpstreamConfig): Pool {
    return new Pool(`http://${u.host.includes(':') ? `[${u.host}]` : u.host}:${u.port}`, {
      connections: this.#options.connections,
      // Upstreams are ours and on a trusted network: keep connections for as long as they allow.
      keepAliveTimeout: 30_000,
      headersTimeout: this.#options.timeoutMs,
      // Streams (SSE) stay open for as long as the client listens.
      bodyTimeout: 0,
      connectTimeout: Math.min(this.#options.timeoutMs, 5_000),
    });
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
   * Sends a request to one upstream, and to others while it may be retried, and passes the first
   * answer that is not a retryable failure to `sink` as it arrives (head, then body chunks, with
   * back-pressure). Resolves once the head went to the sink; throws an AppError (502, 503, 504)
   * when no answer came. Built on undici's dispatch, not its streams: no intermediate Readable.
   */
  async forward(request: ForwardRequest, sink: ResponseSink): Promise<{ upstream: string; attempts: number }> {
    const permit = this.breaker.tryAcquire();
    if (permit === undefined) throw new UpstreamUnavailableError('The API pool is failing; requests are refused for a moment (circuit open)', 'circuit_open');
    this.#budget.recordRequest();
    const idempotent = isIdempotent(request.method);
    let tried: Set<string> | undefined;
    let delays: DelaySequence | undefined;
    for (let attempt = 1; ; attempt++) {
      const lease = tried === undefined ? this.balancer.pick({ key: request.hashKey }) : (this.balancer.pick({ key: request.hashKey, exclude: tried }) ?? this.balancer.pick({ key: request.hashKey }));
      if (lease === undefined) {
        permit.failure();
        throw new UpstreamUnavailableError('No API instance is available');
      }
      const mayRetry = attempt <= this.#options.retries;
      const outcome = await this.#attempt(lease, request, sink, mayRetry && idempotent);
      if (outcome.kind === 'passed') {
        if (outcome.status >= 500) permit.failure();
        else permit.success();
        return { upstream: lease.upstream, attempts: attempt };
      }
      if (request.client.gone) {
        permit.release();
        throw new AppError('client_closed', 499, 'The client went away');
      }
      const reason = outcome.kind === 'status' ? `status_${outcome.status}` : outcome.kind === 'not_sent' ? 'connect_error' : outcome.kind === 'lost' ? 'connection_lost' : 'timeout';
      if (mayRetry && (idempotent || outcome.kind === 'not_sent') && this.#retry(reason)) {
        (tried ??= new Set()).add(lease.upstream);
        await sleep((delays ??= decorrelatedJitter({ baseMs: 5, capMs: 200 })).next());
        continue;
      }
      permit.failure();
      if (outcome.kind === 'timeout') throw new AppError('upstream_timeout', 504, `The API did not answer within ${this.#options.timeoutMs} ms`);
      throw new AppError('upstream_unreachable', 502, 'The API could not be reached');
    }
  }

  /** One try on one upstream: the answer goes to the sink, unless it is a failure worth retrying elsewhere. */
  #attempt(lease: Lease, request: ForwardRequest, sink: ResponseSink, retryStatuses: boolean): Promise<Attempt> {
    const started = performance.now();
    const counters = this.#countersOf(lease.upstream);
    return new Promise<Attempt>((resolve) => {
      let passed = false;
      let discarding = false;
      let failedStatus = false;
      let latencyMs: number | undefined;
      const tracing = this.#options.tracing;
      const span = request.span === undefined || tracing === undefined ? undefined : tracing.startChild(`${request.method} ${lease.upstream}`, 'client', request.span);
      if (span !== undefined) {
        span.setAttribute('server.address', lease.upstream);
        request.headers.traceparent = tracing!.traceparent(span);
      }
      let status = 0;
      const finish = (ok: boolean) => {
        if (span !== undefined) {
          if (status > 0) span.setAttribute('http.response.status_code', status);
          tracing!.end(span, !ok);
        }
        request.client.upstream = undefined;
        lease.done({ ok, latencyMs: latencyMs ?? performance.now() - started });
      };
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(controller) {
          if (request.client.gone) controller.abort(new Error('client went away'));
          else request.client.upstream = controller;
        },
        onResponseStart(controller, answered, headers) {
          status = answered;
          latencyMs = performance.now() - started;
          failedStatus = status >= 500;
          if (failedStatus && retryStatuses && RETRY_STATUSES.has(status)) {
            // Read and drop the body, so that the connection stays reusable.
            discarding = true;
            counters.status(status);
            resolve({ kind: 'status', status });
            return;
          }
          passed = true;
          if (failedStatus) counters.status(status);
          else counters.ok.value++;
          resolve({ kind: 'passed', status });
          sink.start(status, headers, controller);
        },
        onResponseData(controller, chunk) {
          if (!discarding) sink.data(chunk, controller);
        },
        onResponseEnd() {
          finish(!failedStatus);
          if (!discarding) sink.end();
        },
        onResponseError: (_controller, error) => {
          // Cut because the client hung up: not the upstream's failure, nothing to eject it for.
          finish(request.client.gone);
          if (passed) {
            sink.fail(error);
            return;
          }
          if (discarding) return;
          const code = (error as { code?: string }).code ?? '';
          const kind = code === 'UND_ERR_HEADERS_TIMEOUT' ? 'timeout' : NOT_SENT.has(code) ? 'not_sent' : 'lost';
          counters[kind].value++;
          resolve({ kind });
        },
      };
      this.#pools.get(lease.upstream)!.dispatch({ method: request.method as Dispatcher.HttpMethod, path: request.path, headers: request.headers, body: request.body }, handler);
    });
  }

  /** Per-upstream counter series, looked up once: a request adds to a number. */
  #countersOf(upstream: string) {
    let c = this.#counters.get(upstream);
    if (c === undefined) {
      const { requests } = this.#metrics;
      c = {
        ok: requests.series([upstream, 'ok']),
        timeout: requests.series([upstream, 'timeout']),
        not_sent: requests.series([upstream, 'connect_error']),
        lost: requests.series([upstream, 'connection_lost']),
        status: (status: number) => void requests.series([upstream, String(status)]).value++,
      };
      this.#counters.set(upstream, c);
    }
    return c;
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
