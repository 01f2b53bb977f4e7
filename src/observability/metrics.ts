import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A source of extra Prometheus text appended at scrape time (e.g. a worker thread's registry). */
export type MetricsSource = () => Promise<string>;

/**
 * The process's metrics. One registry per app instance (tests build several), default process
 * metrics included only where asked (a worker thread shares its process with the main thread).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #sources: MetricsSource[] = [];
  readonly #httpChildren = new Map<string, { count: Counter.Internal; duration: Histogram.Internal<string> }>();

  readonly httpRequests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered, by route and status.', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from request to response, by route.',
    labelNames: ['method', 'route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly cacheRequests = new Counter({ name: 'cache_requests_total', help: 'Cache lookups by cache and result (hit, negative_hit, miss).', labelNames: ['cache', 'result'], registers: [this.registry] });
  readonly clicksBuffered = new Counter({ name: 'clicks_buffered_total', help: 'Clicks recorded into the in-memory buffer.', registers: [this.registry] });
  readonly clicksFlushed = new Counter({ name: 'clicks_flushed_total', help: 'Clicks flushed from the buffer to the queue.', registers: [this.registry] });
  readonly clicksDropped = new Counter({ name: 'clicks_dropped_total', help: 'Clicks dropped because the buffer was full.', registers: [this.registry] });
  readonly clicksPending = new Gauge({ name: 'clicks_buffer_size', help: 'Clicks waiting in the in-memory buffer.', registers: [this.registry] });

  constructor(options: { defaultMetrics: boolean }) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Records one answered HTTP request; label children are cached so the hot path does no hashing. */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let child = this.#httpChildren.get(key);
    if (child === undefined) {
      child = { count: this.httpRequests.labels(method, route, String(status)), duration: this.httpDuration.labels(method, route) };
      this.#httpChildren.set(key, child);
    }
    child.count.inc();
    child.duration.observe(seconds);
  }

  /** Adds text from elsewhere (another thread) to every scrape. */
  addSource(source: MetricsSource): void {
    this.#sources.push(source);
  }

  /** The Prometheus exposition text. */
  async render(): Promise<string> {
    const parts = [await this.registry.metrics()];
    for (const source of this.#sources) {
      try {
        parts.push(await source());
      } catch {
        // A source that cannot answer (a stopped worker) must not break the scrape.
      }
    }
    return parts.join('\n');
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
