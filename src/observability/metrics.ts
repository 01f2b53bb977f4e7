import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { HttpMetrics } from './http-metrics.js';
import { FastCounter } from './fast-counter.js';
import { METRIC } from '../contracts/metric-names.js';

/** A source of extra Prometheus text appended at scrape time (e.g. a worker thread's registry). */
export type MetricsSource = () => Promise<string>;

/** A connection to a backing service came up or was lost while in use (it then reconnects by itself). */
export interface ConnectionEvent {
  service: 'postgres' | 'redis' | 'rabbitmq';
  /** Which use of the service: `queue`, `cache`, `timelines`, `pool`... */
  client: string;
  state: 'up' | 'lost';
}

/**
 * The process's metrics. One registry per app instance (tests build several), default process
 * metrics included only where asked (a worker thread shares its process with the main thread).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #sources: MetricsSource[] = [];
  readonly #http = new HttpMetrics();
  /** Counted on every cached read (a redirect's included): `cacheRequests.series([cache, result]).value++`. */
  readonly cacheRequests = new FastCounter(this.registry, METRIC.cache, 'Cache lookups by cache and result (hit, negative_hit, miss).', ['cache', 'result']);
  /** Counted on every redirect: a plain increment, read by prom-client when scraped. */
  readonly clicksBuffered = new FastCounter(this.registry, 'clicks_buffered_total', 'Clicks recorded into the in-memory buffer.', []).series([]);
  readonly clicksFlushed = new Counter({ name: 'clicks_flushed_total', help: 'Clicks flushed from the buffer to the queue.', registers: [this.registry] });
  readonly clicksDropped = new Counter({ name: 'clicks_dropped_total', help: 'Clicks dropped because the buffer was full.', registers: [this.registry] });
  readonly clicksPending = new Gauge({ name: 'clicks_buffer_size', help: 'Clicks waiting in the in-memory buffer.', registers: [this.registry] });
  readonly #connectionLosses = new Counter({
    name: 'connection_losses_total',
    help: 'Connections to PostgreSQL, Redis or RabbitMQ lost while in use (each then re-established with backoff), by service, client and thread.',
    labelNames: ['service', 'client', 'thread'],
    registers: [this.registry],
  });
  readonly #connectionUp = new Gauge({
    name: 'connection_up',
    help: '1 while a connection to a backing service is established, 0 from its loss until it is back.',
    labelNames: ['service', 'client', 'thread'],
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics: boolean }) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Records one answered HTTP request (request counter and latency histogram per route). */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.#http.observe(method, route, status, seconds);
  }

  /** `observeHttp` for one route, its series looked up once per method rather than per request. */
  httpRoute(route: string): (method: string, status: number, seconds: number) => void {
    return this.#http.route(route);
  }

  /** Records a connection's state change; `thread` tells the API thread's connections from the worker thread's. */
  observeConnection(event: ConnectionEvent, thread = 'main'): void {
    const labels = { service: event.service, client: event.client, thread };
    this.#connectionUp.set(labels, event.state === 'up' ? 1 : 0);
    if (event.state === 'lost') this.#connectionLosses.inc(labels);
  }

  /** Adds text from elsewhere (another thread) to every scrape. */
  addSource(source: MetricsSource): void {
    this.#sources.push(source);
  }

  /** The Prometheus exposition text. */
  async render(): Promise<string> {
    const parts = [this.#http.render(), await this.registry.metrics()];
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
