import { addHistograms, counterIncrease, histogramIncrease, histogramQuantile, histograms, type Exposition, type Histogram, type MetricFamily } from './prometheus.js';

/**
 * What the console keeps of one scrape of `/metrics`: only the series it shows, so that five
 * minutes of history at one scrape a second stay small. Pure functions, no DOM (unit-tested in Node).
 */

export interface RouteSample {
  /** `http_requests_total` summed over statuses. */
  requests: number;
  /** Answers with a 5xx status. */
  serverErrors: number;
  /** Answers with 429 (refused by a rate limit). */
  tooMany: number;
  /** `http_request_duration_seconds` of the route. */
  latency?: Histogram;
}

export interface QueueSample {
  ready: number;
  inFlight: number;
  delayed: number;
  dead: number;
  lagSeconds?: number;
}

export interface UpstreamSample {
  /** `gateway_upstream_healthy`: 1 in rotation. */
  healthy?: number;
  inFlight?: number;
  /** `gateway_upstream_requests_total`, every outcome. */
  attempts: number;
  /** Attempts whose outcome was not `ok`. */
  failures: number;
}

export interface Snapshot {
  /** Seconds since the epoch, by the browser's clock when the answer came. */
  t: number;
  /** Every metric family the process declared (with or without samples). */
  declared: Set<string>;
  /** By `METHOD route`. */
  routes: Map<string, RouteSample>;
  /** By cache: hits (including negative hits) and misses. */
  caches: Map<string, { hits: number; misses: number }>;
  /** By topic. */
  queues: Map<string, QueueSample>;
  fanoutDeliveries?: number;
  fanoutLag?: Histogram;
  /** By policy: decisions by result. */
  rateLimits: Map<string, { allowed: number; delayed: number; refused: number }>;
  /** `gateway_breaker_state`: 0 closed, 1 half-open, 2 open. */
  breaker?: number;
  upstreams: Map<string, UpstreamSample>;
  /** `gateway_retries_total` by reason. */
  retries: Map<string, number>;
}

// The server exports these names from the same module.
export { METRIC } from '../../../src/contracts/metric-names.js';
import { METRIC } from '../../../src/contracts/metric-names.js';

/** The name under which the gateway's edge cache is shown next to the API's caches. */
export const EDGE_CACHE = 'gateway edge';

function each(family: MetricFamily | undefined, fn: (labels: Record<string, string>, value: number) => void): void {
  for (const s of family?.samples ?? []) if (s.name === family!.name) fn(s.labels, s.value);
}

function entry<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}

/** Keeps what the console shows of one scrape taken at `t` (seconds). */
export function summarize(exposition: Exposition, t: number): Snapshot {
  const f = (name: string) => exposition.families.get(name);
  const snap: Snapshot = { t, declared: new Set(exposition.families.keys()), routes: new Map(), caches: new Map(), queues: new Map(), rateLimits: new Map(), upstreams: new Map(), retries: new Map() };
  const route = (labels: Record<string, string>) => entry(snap.routes, `${labels.method ?? ''} ${labels.route ?? ''}`.trim(), (): RouteSample => ({ requests: 0, serverErrors: 0, tooMany: 0 }));

  each(f(METRIC.requests), (labels, value) => {
    const r = route(labels);
    r.requests += value;
    if (labels.status?.startsWith('5')) r.serverErrors += value;
    if (labels.status === '429') r.tooMany += value;
  });
  for (const h of histograms(f(METRIC.latency))) route(h.labels).latency = { buckets: h.buckets, sum: h.sum, count: h.count };

  each(f(METRIC.cache), (labels, value) => {
    const c = entry(snap.caches, labels.cache ?? '', () => ({ hits: 0, misses: 0 }));
    if (labels.result === 'hit' || labels.result === 'negative_hit') c.hits += value;
    else if (labels.result === 'miss') c.misses += value;
  });
  each(f(METRIC.edgeCache), (labels, value) => {
    const c = entry(snap.caches, EDGE_CACHE, () => ({ hits: 0, misses: 0 }));
    // Served from the cache: fresh hits, 304-revalidated copies, stale copies while the pool failed.
    if (labels.result === 'hit' || labels.result === 'revalidated' || labels.result === 'stale') c.hits += value;
    else if (labels.result === 'miss' || labels.result === 'bypass') c.misses += value;
  });

  const queue = (topic: string) => entry(snap.queues, topic, (): QueueSample => ({ ready: 0, inFlight: 0, delayed: 0, dead: 0 }));
  each(f(METRIC.queueMessages), (labels, value) => {
    const q = queue(labels.topic ?? '');
    if (labels.state === 'ready') q.ready += value;
    else if (labels.state === 'in_flight') q.inFlight += value;
    else if (labels.state === 'delayed') q.delayed += value;
    else if (labels.state === 'dead') q.dead += value;
  });
  each(f(METRIC.queueLag), (labels, value) => {
    queue(labels.topic ?? '').lagSeconds = value;
  });

  if (f(METRIC.fanoutDeliveries)?.samples.length) {
    snap.fanoutDeliveries = 0;
    each(f(METRIC.fanoutDeliveries), (_, value) => (snap.fanoutDeliveries! += value));
  }
  const fanoutLag = histograms(f(METRIC.fanoutLag));
  if (fanoutLag.length > 0) snap.fanoutLag = addHistograms(fanoutLag);

  each(f(METRIC.rateLimits), (labels, value) => {
    const p = entry(snap.rateLimits, labels.policy ?? '', () => ({ allowed: 0, delayed: 0, refused: 0 }));
    if (labels.result === 'allowed' || labels.result === 'delayed' || labels.result === 'refused') p[labels.result] += value;
  });

  each(f(METRIC.breaker), (_, value) => (snap.breaker = value));
  const upstream = (labels: Record<string, string>) => entry(snap.upstreams, labels.upstream ?? '', (): UpstreamSample => ({ attempts: 0, failures: 0 }));
  each(f(METRIC.upstreamHealthy), (labels, value) => (upstream(labels).healthy = value));
  each(f(METRIC.upstreamInFlight), (labels, value) => (upstream(labels).inFlight = value));
  each(f(METRIC.upstreamRequests), (labels, value) => {
    const u = upstream(labels);
    u.attempts += value;
    if (labels.outcome !== 'ok') u.failures += value;
  });
  each(f(METRIC.retries), (labels, value) => snap.retries.set(labels.reason ?? '', (snap.retries.get(labels.reason ?? '') ?? 0) + value));
  return snap;
}

/**
 * The scrape a window of `seconds` ending at `history[i]` starts from: the oldest one at most
 * `seconds` (plus half a scrape interval of slack) before it. Undefined when there is none yet.
 */
export function windowStart(history: readonly Snapshot[], i: number, seconds: number): number | undefined {
  const end = history[i];
  if (end === undefined) return undefined;
  // Scrapes are in time order: the first one inside the window, by bisection.
  let lo = 0;
  let hi = i;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (end.t - history[mid]!.t <= seconds + 0.5) hi = mid;
    else lo = mid + 1;
  }
  return lo < i ? lo : undefined;
}

/** The x values of a chart: one per scrape, and a gap (a null index) where scrapes were missed. */
export function timeline(history: readonly Snapshot[], intervalSeconds: number): { times: number[]; index: (number | null)[] } {
  const times: number[] = [];
  const index: (number | null)[] = [];
  history.forEach((s, i) => {
    const previous = history[i - 1];
    if (previous !== undefined && s.t - previous.t > intervalSeconds * 2.5) {
      times.push(previous.t + intervalSeconds);
      index.push(null);
    }
    times.push(s.t);
    index.push(i);
  });
  return { times, index };
}

/** Per second, how fast `pick` grew over the window ending at `history[i]` (counter resets handled). NaN without two scrapes. */
export function rate(history: readonly Snapshot[], i: number, seconds: number, pick: (s: Snapshot) => number | undefined): number {
  const j = windowStart(history, i, seconds);
  if (j === undefined) return Number.NaN;
  const now = pick(history[i]!);
  if (now === undefined) return Number.NaN;
  const dt = history[i]!.t - history[j]!.t;
  return dt > 0 ? counterIncrease(now, pick(history[j]!) ?? 0) / dt : Number.NaN;
}

/** Summed over keys, the growth of a counter kept per key (routes, policies...), with per-key resets. */
export function increaseOfMap<V>(now: Map<string, V>, before: Map<string, V> | undefined, value: (v: V) => number): number {
  let total = 0;
  for (const [key, v] of now) {
    const b = before?.get(key);
    total += counterIncrease(value(v), b === undefined ? 0 : value(b));
  }
  return total;
}

/** Per second over the window, the growth of a per-key counter summed over its keys. */
export function rateOfMap<V>(history: readonly Snapshot[], i: number, seconds: number, map: (s: Snapshot) => Map<string, V>, value: (v: V) => number): number {
  const j = windowStart(history, i, seconds);
  if (j === undefined) return Number.NaN;
  const dt = history[i]!.t - history[j]!.t;
  return dt > 0 ? increaseOfMap(map(history[i]!), map(history[j]!), value) / dt : Number.NaN;
}

/** The observations of a histogram over the window ending at `history[i]` (bucket increases). */
export function histogramWindow(history: readonly Snapshot[], i: number, seconds: number, pick: (s: Snapshot) => Histogram | undefined): Histogram | undefined {
  const j = windowStart(history, i, seconds);
  const now = pick(history[i]!);
  if (j === undefined || now === undefined) return undefined;
  return histogramIncrease(now, pick(history[j]!));
}

/** All routes' latency histograms added up (they share their bucket bounds). */
export function allRoutesLatency(s: Snapshot): Histogram | undefined {
  if (!allRoutes.has(s)) {
    const list = [...s.routes.values()].flatMap((r) => (r.latency ? [r.latency] : []));
    allRoutes.set(s, list.length === 0 ? undefined : addHistograms(list));
  }
  return allRoutes.get(s);
}
const allRoutes = new WeakMap<Snapshot, Histogram | undefined>();

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  /** Observations in the window. */
  count: number;
}

/** p50/p95/p99 (seconds) of a histogram's window; NaN when nothing was observed in it. */
export function percentiles(h: Histogram | undefined): Percentiles {
  if (h === undefined || h.count <= 0) return { p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, count: 0 };
  return { p50: histogramQuantile(0.5, h.buckets), p95: histogramQuantile(0.95, h.buckets), p99: histogramQuantile(0.99, h.buckets), count: h.count };
}

/** Hits over lookups in the window, as a fraction; NaN without lookups. */
export function hitRatio(history: readonly Snapshot[], i: number, seconds: number, cache: string): { ratio: number; hits: number; lookups: number } {
  const j = windowStart(history, i, seconds);
  const now = history[i]?.caches.get(cache);
  if (j === undefined || now === undefined) return { ratio: Number.NaN, hits: 0, lookups: 0 };
  const before = history[j]!.caches.get(cache);
  const hits = counterIncrease(now.hits, before?.hits ?? 0);
  const lookups = hits + counterIncrease(now.misses, before?.misses ?? 0);
  return { ratio: lookups > 0 ? hits / lookups : Number.NaN, hits, lookups };
}
