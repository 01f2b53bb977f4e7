import { useId, useMemo, useState, type ReactNode } from 'react';
import { ConsoleChart, type ChartSeries } from './console-chart.js';
import { DeadLetters } from './dead-letters.js';
import { useSession } from '../session.js';
import { histogramQuantile, type Histogram } from './prometheus.js';
import {
  allRoutesLatency,
  hitRatio,
  histogramWindow,
  METRIC,
  percentiles,
  rate,
  rateOfMap,
  timeline,
  type Snapshot,
} from './snapshot.js';
import { useMetricsHistory, type Connection } from './use-metrics.js';

/** Scrape interval, and how much history the charts keep (in this tab's memory only). */
const INTERVAL_S = 1;
const KEEP_S = 300;
/** Rates and ratios are over the last RATE_WINDOW_S; percentiles over the last LATENCY_WINDOW_S. */
const RATE_WINDOW_S = 10;
const LATENCY_WINDOW_S = 30;
const ALL_ROUTES = 'All routes';

// -- number formats --------------------------------------------------------------------------

const isNumber = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);

function fmtRate(v: number | undefined, unit = '/s'): string {
  if (!isNumber(v)) return '–';
  const digits = v === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${v.toFixed(digits)}${unit}`;
}

function fmtSeconds(v: number | undefined): string {
  if (!isNumber(v)) return '–';
  if (v === 0) return '0 ms';
  if (v < 0.001) return `${(v * 1000).toFixed(2)} ms`;
  if (v < 1) return `${(v * 1000).toFixed(v < 0.01 ? 2 : v < 0.1 ? 1 : 0)} ms`;
  return `${v.toFixed(v < 10 ? 2 : 1)} s`;
}

function fmtPercent(v: number | undefined): string {
  return isNumber(v) ? `${(v * 100).toFixed(v >= 0.999 || v === 0 ? 0 : 1)}\u00a0%` : '–';
}

/** Milliseconds as a bare number, for table cells under a `(ms)` header. */
function fmtMs(v: number | undefined): string {
  if (!isNumber(v)) return '–';
  const ms = v * 1000;
  return ms === 0 ? '0' : ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms).toLocaleString('en');
}

const fmtCount = (v: number | undefined) => (isNumber(v) ? Math.round(v).toLocaleString('en') : '–');
const fmtTime = (t: number) => new Date(t * 1000).toLocaleTimeString();

// -- building blocks ---------------------------------------------------------------------------

function Section({ title, children, note }: { title: string; children: ReactNode; note?: ReactNode }) {
  const id = useId();
  return (
    <section className="console-section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {note && <p className="muted console-note">{note}</p>}
      {children}
    </section>
  );
}

/** What a section says when the process does not export its metric at all. */
function NotReported({ metrics, why }: { metrics: string[]; why?: string }) {
  return (
    <p className="console-absent">
      Not reported by this process: no{' '}
      {metrics.map((m, i) => (
        <span key={m}>
          {i > 0 && ' or '}
          <code>{m}</code>
        </span>
      ))}{' '}
      in its <code>/metrics</code>.{why && ` ${why}`}
    </p>
  );
}

function Stats({ items }: { items: { label: string; value: string; testId?: string; note?: string; tone?: 'bad' | 'good' }[] }) {
  return (
    <dl className="console-stats">
      {items.map((s) => (
        <div key={s.label} className={`console-stat${s.tone ? ` console-${s.tone}` : ''}`}>
          <dt>{s.label}</dt>
          <dd className="console-stat-value" data-testid={s.testId}>
            {s.value}
          </dd>
          {s.note && <dd className="muted console-stat-note">{s.note}</dd>}
        </div>
      ))}
    </dl>
  );
}

interface Lines {
  times: number[];
  series: ChartSeries[];
}

/** A titled chart; its current values are written under the title and in its accessible name. */
function Chart({ title, now, lines, format, max, floor, integers }: { title: string; now: string; lines: Lines; format: (v: number) => string; max?: number; floor?: number; integers?: boolean }) {
  const span = lines.times.length > 1 ? lines.times[lines.times.length - 1]! - lines.times[0]! : 0;
  const over = span >= 90 ? `the last ${Math.round(span / 60)} minutes` : `the last ${Math.round(span)} s`;
  return (
    <figure className="console-figure">
      <figcaption>
        <span className="console-figure-title">{title}</span> <span className="console-now">now {now}</span>
      </figcaption>
      <ConsoleChart label={`${title}, over ${over}. Now ${now}.`} times={lines.times} series={lines.series} format={format} max={max} floor={floor} integers={integers} />
    </figure>
  );
}

/** A table named by the caption above it; on a phone a wide one scrolls inside its box (focusable, for the keyboard), never the page. */
function Table({ caption, children }: { caption: string; children: ReactNode }) {
  const id = useId();
  return (
    <>
      <p id={id} className="console-caption">
        {caption}
      </p>
      <div className="console-table-wrap" tabIndex={0} role="group" aria-labelledby={id}>
        <table className="console-table" aria-labelledby={id}>
          {children}
        </table>
      </div>
    </>
  );
}

function ConnectionStatus({ connection, lastScrape }: { connection: Connection; lastScrape: number | undefined }) {
  let text: string;
  let tone: string;
  switch (connection.state) {
    case 'connecting':
      text = 'Connecting to /metrics…';
      tone = 'wait';
      break;
    case 'live':
      text = 'Live: /metrics is read every second.';
      tone = 'live';
      break;
    case 'lost':
      text = `Connection lost — retrying (${connection.detail}).`;
      tone = 'lost';
      break;
    case 'denied':
      text = `/metrics asks for credentials (HTTP ${connection.status}) — retrying. Sign in as an operator (ADMIN_USERS), or scrape it with Prometheus and METRICS_TOKEN.`;
      tone = 'lost';
      break;
  }
  return (
    <div className="console-status-bar">
      <p role="status" className={`console-status console-status-${tone}`}>
        {text}
      </p>
      {lastScrape !== undefined && <p className="muted console-updated">Last data at {fmtTime(lastScrape)}</p>}
    </div>
  );
}

// -- the page ---------------------------------------------------------------------------------

/**
 * The operator's console: this server's own `/metrics`, read every second, as charts over the
 * last five minutes and current numbers. Nothing is stored: reloading starts a new history.
 */
export default function ConsolePage() {
  const { token } = useSession();
  const { history, version, connection, lastScrape } = useMetricsHistory('/metrics', { intervalMs: INTERVAL_S * 1000, keepSeconds: KEEP_S, token });
  const [latencyRoute, setLatencyRoute] = useState(ALL_ROUTES);
  // `history` is mutated in place; `version` tells the memo it changed.
  const { times, index } = useMemo(() => timeline(history, INTERVAL_S), [history, version]);
  const latest: Snapshot | undefined = history[history.length - 1];

  const line = (label: string, fn: (i: number) => number | undefined): ChartSeries => ({ label, values: index.map((i) => (i === null ? null : (fn(i) ?? null))) });
  const lines = (series: ChartSeries[]): Lines => ({ times, series });

  return (
    <section className="console" aria-labelledby="console-title">
      <h1 id="console-title">Operator console</h1>
      <p className="lede">
        This server's <code>/metrics</code>, read every second. The charts keep the last {KEEP_S / 60} minutes in this tab only. Rates are per second over the last {RATE_WINDOW_S} s; latency
        percentiles over the last {LATENCY_WINDOW_S} s, from the histogram buckets' increase (as Prometheus'{' '}
        <code>histogram_quantile(0.95, rate(…_bucket[{LATENCY_WINDOW_S}s]))</code>).
      </p>
      <ConnectionStatus connection={connection} lastScrape={lastScrape} />
      {latest === undefined ? (
        <p aria-busy="true">Waiting for the first scrape…</p>
      ) : (
        <>
          <Requests history={history} latest={latest} line={line} lines={lines} route={latencyRoute} setRoute={setLatencyRoute} />
          <Caches history={history} latest={latest} line={line} lines={lines} />
          <Queues latest={latest} line={line} lines={lines} history={history} />
          <Fanout history={history} latest={latest} line={line} lines={lines} />
          <RateLimits history={history} latest={latest} line={line} lines={lines} />
          {[METRIC.breaker, METRIC.upstreamHealthy, METRIC.upstreamRequests].some((m) => latest.declared.has(m)) && <Gateway history={history} latest={latest} line={line} lines={lines} />}
        </>
      )}
    </section>
  );
}

interface SectionProps {
  history: readonly Snapshot[];
  latest: Snapshot;
  line: (label: string, fn: (i: number) => number | undefined) => ChartSeries;
  lines: (series: ChartSeries[]) => Lines;
}

function Requests({ history, latest, line, lines, route, setRoute }: SectionProps & { route: string; setRoute: (r: string) => void }) {
  const selectId = useId();
  if (!latest.declared.has(METRIC.requests) && !latest.declared.has(METRIC.latency)) {
    return (
      <Section title="Requests">
        <NotReported metrics={[METRIC.requests, METRIC.latency]} />
      </Section>
    );
  }
  const last = history.length - 1;
  const total = (i: number) => rateOfMap(history, i, RATE_WINDOW_S, (s) => s.routes, (r) => r.requests);
  const errors = (i: number) => rateOfMap(history, i, RATE_WINDOW_S, (s) => s.routes, (r) => r.serverErrors);
  const refused = (i: number) => rateOfMap(history, i, RATE_WINDOW_S, (s) => s.routes, (r) => r.tooMany);
  const routes = [...latest.routes.keys()];
  const chosen = route !== ALL_ROUTES && !latest.routes.has(route) ? ALL_ROUTES : route;
  const pick = (s: Snapshot): Histogram | undefined => (chosen === ALL_ROUTES ? allRoutesLatency(s) : s.routes.get(chosen)?.latency);
  const latencyWindow = (i: number) => histogramWindow(history, i, LATENCY_WINDOW_S, pick);
  const quantile = (q: number) => (i: number) => {
    const h = latencyWindow(i);
    return h === undefined || h.count <= 0 ? undefined : histogramQuantile(q, h.buckets);
  };
  const now = percentiles(latencyWindow(last));
  const rows = routes
    .map((key) => {
      const r = (s: Snapshot) => s.routes.get(key);
      return {
        key,
        rate: rate(history, last, RATE_WINDOW_S, (s) => r(s)?.requests),
        errors: rate(history, last, RATE_WINDOW_S, (s) => r(s)?.serverErrors),
        total: latest.routes.get(key)!.requests,
        p: percentiles(histogramWindow(history, last, LATENCY_WINDOW_S, (s) => r(s)?.latency)),
      };
    })
    .sort((a, b) => (isNumber(b.rate) ? b.rate : -1) - (isNumber(a.rate) ? a.rate : -1) || b.total - a.total || a.key.localeCompare(b.key));

  return (
    <Section title="Requests" note={<>From <code>{METRIC.requests}</code> and <code>{METRIC.latency}</code>, per route; unmatched paths share the route <code>unmatched</code>.</>}>
      <Stats
        items={[
          { label: 'Request rate', value: fmtRate(total(last), ' req/s'), testId: 'request-rate', note: `last ${RATE_WINDOW_S} s, every route` },
          { label: 'Server errors (5xx)', value: fmtRate(errors(last)), tone: errors(last) > 0 ? 'bad' : undefined },
          { label: 'Refused (429)', value: fmtRate(refused(last)), tone: refused(last) > 0 ? 'bad' : undefined },
          { label: 'p95 latency', value: fmtSeconds(percentiles(histogramWindow(history, last, LATENCY_WINDOW_S, allRoutesLatency)).p95), note: `all routes, last ${LATENCY_WINDOW_S} s` },
        ]}
      />
      <div className="console-charts">
        <Chart
          title="Requests per second"
          now={`${fmtRate(total(last), ' req/s')}; 5xx ${fmtRate(errors(last))}; 429 ${fmtRate(refused(last))}`}
          lines={lines([line('all', total), line('5xx', errors), line('429', refused)])}
          format={(v) => fmtRate(v, '')}
        />
        <div>
          <Chart
            title={`Latency, ${chosen}`}
            now={`p50 ${fmtSeconds(now.p50)}, p95 ${fmtSeconds(now.p95)}, p99 ${fmtSeconds(now.p99)}`}
            lines={lines([line('p50', quantile(0.5)), line('p95', quantile(0.95)), line('p99', quantile(0.99))])}
            format={fmtSeconds}
            floor={0.005}
          />
          <label className="console-select" htmlFor={selectId}>
            Latency chart for{' '}
            <select id={selectId} value={chosen} onChange={(e) => setRoute(e.target.value)}>
              <option>{ALL_ROUTES}</option>
              {routes.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
        </div>
      </div>
      <Table caption={`Per route: requests per second over the last ${RATE_WINDOW_S} s, latency percentiles over the last ${LATENCY_WINDOW_S} s, requests since start`}>
          <thead>
            <tr>
              <th scope="col">Route</th>
              <th scope="col">req/s</th>
              <th scope="col">5xx/s</th>
              <th scope="col">p50 (ms)</th>
              <th scope="col">p95 (ms)</th>
              <th scope="col">p99 (ms)</th>
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key}>
                <th scope="row" className="console-route">
                  {r.key}
                </th>
                <td>{fmtRate(r.rate, '')}</td>
                <td className={r.errors > 0 ? 'console-bad' : undefined}>{fmtRate(r.errors, '')}</td>
                <td>{fmtMs(r.p.p50)}</td>
                <td>{fmtMs(r.p.p95)}</td>
                <td>{fmtMs(r.p.p99)}</td>
                <td>{fmtCount(r.total)}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      {rows.some((r) => r.p.count === 0) && <p className="muted">A dash: no request on that route in the window.</p>}
    </Section>
  );
}

function Caches({ history, latest, line, lines }: SectionProps) {
  const declared = latest.declared.has(METRIC.cache) || latest.declared.has(METRIC.edgeCache);
  if (!declared) {
    return (
      <Section title="Cache hit ratio">
        <NotReported metrics={[METRIC.cache, METRIC.edgeCache]} />
      </Section>
    );
  }
  const last = history.length - 1;
  const caches = [...latest.caches.keys()].sort();
  const lifetime = (name: string) => {
    const c = latest.caches.get(name)!;
    return c.hits + c.misses > 0 ? c.hits / (c.hits + c.misses) : Number.NaN;
  };
  return (
    <Section
      title="Cache hit ratio"
      note={
        <>
          Hits over lookups in the last {RATE_WINDOW_S} s. <code>{METRIC.cache}</code>: a negative hit (a code known not to exist) counts as a hit. <code>{METRIC.edgeCache}</code>: hit, revalidated and stale
          answers count as hits, miss and bypass as misses.
        </>
      }
    >
      {caches.length === 0 ? (
        <p className="muted">No cache lookups yet (the series appear with the first lookup).</p>
      ) : (
        <>
          <Stats
            items={caches.map((name) => {
              const now = hitRatio(history, last, RATE_WINDOW_S, name);
              return { label: `${name} cache`, value: fmtPercent(now.ratio), note: `${fmtCount(now.hits)} of ${fmtCount(now.lookups)} lookups; ${fmtPercent(lifetime(name))} since start` };
            })}
          />
          <div className="console-charts">
            <Chart
              title="Hit ratio"
              now={caches.map((name) => `${name} ${fmtPercent(hitRatio(history, last, RATE_WINDOW_S, name).ratio)}`).join(', ')}
              lines={lines(caches.map((name) => line(name, (i) => hitRatio(history, i, RATE_WINDOW_S, name).ratio)))}
              format={(v) => `${Math.round(v * 100)}%`}
              max={1}
            />
          </div>
        </>
      )}
    </Section>
  );
}

function Queues({ history, latest, line, lines }: SectionProps) {
  if (!latest.declared.has(METRIC.queueMessages)) {
    return (
      <Section title="Queues">
        <NotReported metrics={[METRIC.queueMessages, METRIC.queueLag]} why="A gateway has no queues; each API and worker process answers its own /metrics on its port." />
      </Section>
    );
  }
  const topics = [...latest.queues.keys()].sort();
  const depth = (topic: string) => (i: number) => {
    const q = history[i]!.queues.get(topic);
    return q === undefined ? undefined : q.ready + q.inFlight + q.delayed;
  };
  const dead = topics.reduce((n, t) => n + latest.queues.get(t)!.dead, 0);
  return (
    <Section title="Queues" note={<>From <code>{METRIC.queueMessages}</code> (by state) and <code>{METRIC.queueLag}</code> (age of the oldest unacknowledged message).</>}>
      <Stats
        items={[
          { label: 'Waiting', value: fmtCount(topics.reduce((n, t) => n + depth(t)(history.length - 1)!, 0)), note: 'ready, in flight and delayed' },
          { label: 'Largest lag', value: fmtSeconds(Math.max(0, ...topics.map((t) => latest.queues.get(t)!.lagSeconds ?? 0))) },
          { label: 'Dead letters', value: fmtCount(dead), tone: dead > 0 ? 'bad' : 'good' },
        ]}
      />
      <div className="console-charts">
        <Chart
          title="Queue depth"
          now={topics.map((t) => `${t} ${fmtCount(depth(t)(history.length - 1))}`).join(', ')}
          lines={lines(topics.map((t) => line(t, depth(t))))}
          format={(v) => fmtCount(v)}
          integers
        />
        <Chart
          title="Consumer lag"
          now={topics.map((t) => `${t} ${fmtSeconds(latest.queues.get(t)!.lagSeconds)}`).join(', ')}
          lines={lines(topics.map((t) => line(t, (i) => history[i]!.queues.get(t)?.lagSeconds)))}
          format={fmtSeconds}
          floor={1}
        />
      </div>
      <Table caption="Messages per topic now">
          <thead>
            <tr>
              <th scope="col">Topic</th>
              <th scope="col">Ready</th>
              <th scope="col">In flight</th>
              <th scope="col">Delayed</th>
              <th scope="col">Dead letters</th>
              <th scope="col">Lag</th>
            </tr>
          </thead>
          <tbody>
            {topics.map((t) => {
              const q = latest.queues.get(t)!;
              return (
                <tr key={t}>
                  <th scope="row">{t}</th>
                  <td>{fmtCount(q.ready)}</td>
                  <td>{fmtCount(q.inFlight)}</td>
                  <td>{fmtCount(q.delayed)}</td>
                  <td className={q.dead > 0 ? 'console-bad' : undefined}>{fmtCount(q.dead)}</td>
                  <td>{fmtSeconds(q.lagSeconds)}</td>
                </tr>
              );
            })}
          </tbody>
        </Table>
      <DeadLetters topics={topics} counts={(t) => latest.queues.get(t)?.dead ?? 0} />
      <p className="console-note">
        On the command line: <code>npm run cli -- queue:dead-letters &lt;topic&gt;</code> lists them and <code>npm run cli -- queue:replay &lt;topic&gt;</code> replays them (or some, by id).
      </p>
    </Section>
  );
}

function Fanout({ history, latest, line, lines }: SectionProps) {
  if (!latest.declared.has(METRIC.fanoutDeliveries) && !latest.declared.has(METRIC.fanoutLag)) {
    return (
      <Section title="Feed fan-out">
        <NotReported metrics={[METRIC.fanoutDeliveries, METRIC.fanoutLag]} why="Fan-out runs where the home timelines are (an API process with the in-process store, else a worker)." />
      </Section>
    );
  }
  const last = history.length - 1;
  const deliveries = (i: number) => rate(history, i, RATE_WINDOW_S, (s) => s.fanoutDeliveries);
  const lagWindow = (i: number) => histogramWindow(history, i, LATENCY_WINDOW_S, (s) => s.fanoutLag);
  const lagQ = (q: number) => (i: number) => {
    const h = lagWindow(i);
    return h === undefined || h.count <= 0 ? undefined : histogramQuantile(q, h.buckets);
  };
  const now = percentiles(lagWindow(last));
  return (
    <Section title="Feed fan-out" note={<>From <code>{METRIC.fanoutDeliveries}</code> (tweet ids pushed into home timelines) and <code>{METRIC.fanoutLag}</code> (from posting to delivery).</>}>
      <Stats
        items={[
          { label: 'Deliveries', value: fmtRate(deliveries(last)), note: `last ${RATE_WINDOW_S} s; ${fmtCount(latest.fanoutDeliveries)} since start` },
          { label: 'Fan-out lag p95', value: fmtSeconds(now.p95), note: now.count > 0 ? `p50 ${fmtSeconds(now.p50)}, p99 ${fmtSeconds(now.p99)}, last ${LATENCY_WINDOW_S} s` : `no deliveries in the last ${LATENCY_WINDOW_S} s` },
        ]}
      />
      <div className="console-charts">
        <Chart title="Fan-out deliveries per second" now={fmtRate(deliveries(last))} lines={lines([line('deliveries', deliveries)])} format={(v) => fmtRate(v, '')} />
        <Chart
          title="Fan-out lag"
          now={`p50 ${fmtSeconds(now.p50)}, p95 ${fmtSeconds(now.p95)}, p99 ${fmtSeconds(now.p99)}`}
          lines={lines([line('p50', lagQ(0.5)), line('p95', lagQ(0.95)), line('p99', lagQ(0.99))])}
          format={fmtSeconds}
          floor={0.05}
        />
      </div>
    </Section>
  );
}

function RateLimits({ history, latest, line, lines }: SectionProps) {
  if (!latest.declared.has(METRIC.rateLimits)) {
    return (
      <Section title="Rate limits">
        <NotReported metrics={[METRIC.rateLimits]} why="Every rate-limit policy is off here (RATE_LIMIT_* = off)." />
      </Section>
    );
  }
  const last = history.length - 1;
  const policies = [...latest.rateLimits.keys()].sort();
  const refused = (p: string) => (i: number) => rate(history, i, RATE_WINDOW_S, (s) => s.rateLimits.get(p)?.refused);
  const allRefused = (i: number) => rateOfMap(history, i, RATE_WINDOW_S, (s) => s.rateLimits, (d) => d.refused);
  return (
    <Section title="Rate limits" note={<>Refusals (429) per policy, from <code>{METRIC.rateLimits}</code>. A policy that counts only some routes (auth, create, probe) is checked on those alone.</>}>
      <Stats items={[{ label: 'Refused', value: fmtRate(allRefused(last)), note: `every policy, last ${RATE_WINDOW_S} s`, tone: allRefused(last) > 0 ? 'bad' : undefined }]} />
      <div className="console-charts">
        <Chart
          title="Refusals per second"
          now={policies.map((p) => `${p} ${fmtRate(refused(p)(last))}`).join(', ')}
          lines={lines(policies.map((p) => line(p, refused(p))))}
          format={(v) => fmtRate(v, '')}
        />
      </div>
      <Table caption={`Decisions per policy: per second over the last ${RATE_WINDOW_S} s, and since start`}>
          <thead>
            <tr>
              <th scope="col">Policy</th>
              <th scope="col">Refused/s</th>
              <th scope="col">Delayed/s</th>
              <th scope="col">Allowed/s</th>
              <th scope="col">Refused since start</th>
            </tr>
          </thead>
          <tbody>
            {policies.map((p) => {
              const d = (s: Snapshot) => s.rateLimits.get(p);
              const r = rate(history, last, RATE_WINDOW_S, (s) => d(s)?.refused);
              return (
                <tr key={p}>
                  <th scope="row">{p}</th>
                  <td className={r > 0 ? 'console-bad' : undefined}>{fmtRate(r, '')}</td>
                  <td>{fmtRate(rate(history, last, RATE_WINDOW_S, (s) => d(s)?.delayed), '')}</td>
                  <td>{fmtRate(rate(history, last, RATE_WINDOW_S, (s) => d(s)?.allowed), '')}</td>
                  <td>{fmtCount(latest.rateLimits.get(p)!.refused)}</td>
                </tr>
              );
            })}
          </tbody>
        </Table>
    </Section>
  );
}

const BREAKER = ['closed', 'half-open', 'open'];

function Gateway({ history, latest, line, lines }: SectionProps) {
  const last = history.length - 1;
  const upstreams = [...latest.upstreams.keys()].sort();
  const inRotation = upstreams.filter((u) => latest.upstreams.get(u)!.healthy === 1).length;
  const breaker = latest.breaker === undefined ? undefined : (BREAKER[latest.breaker] ?? String(latest.breaker));
  const attempts = (u: string) => (i: number) => rate(history, i, RATE_WINDOW_S, (s) => s.upstreams.get(u)?.attempts);
  const retries = [...latest.retries.keys()].sort();
  return (
    <Section
      title="Gateway"
      note={
        <>
          From <code>{METRIC.breaker}</code>, <code>{METRIC.upstreamHealthy}</code>, <code>{METRIC.upstreamInFlight}</code>, <code>{METRIC.upstreamRequests}</code> and <code>{METRIC.retries}</code>.
        </>
      }
    >
      <Stats
        items={[
          { label: 'Circuit breaker', value: breaker ?? '–', tone: breaker === undefined ? undefined : breaker === 'closed' ? 'good' : 'bad' },
          { label: 'Upstreams in rotation', value: `${inRotation} of ${upstreams.length}`, tone: inRotation < upstreams.length ? 'bad' : 'good' },
          ...retries.map((reason) => ({ label: `Retries (${reason})`, value: fmtRate(rate(history, last, RATE_WINDOW_S, (s) => s.retries.get(reason))), note: `${fmtCount(latest.retries.get(reason))} since start` })),
        ]}
      />
      {upstreams.length > 0 && (
        <>
          <div className="console-charts">
            <Chart
              title="Attempts per upstream per second"
              now={upstreams.map((u) => `${u} ${fmtRate(attempts(u)(last))}`).join(', ')}
              lines={lines(upstreams.map((u) => line(u, attempts(u))))}
              format={(v) => fmtRate(v, '')}
            />
          </div>
          <Table caption={`Upstreams now; attempts and failures per second over the last ${RATE_WINDOW_S} s`}>
              <thead>
                <tr>
                  <th scope="col">Upstream</th>
                  <th scope="col">In rotation</th>
                  <th scope="col">In flight</th>
                  <th scope="col">Attempts/s</th>
                  <th scope="col">Failures/s</th>
                </tr>
              </thead>
              <tbody>
                {upstreams.map((u) => {
                  const s = latest.upstreams.get(u)!;
                  const failures = rate(history, last, RATE_WINDOW_S, (x) => x.upstreams.get(u)?.failures);
                  return (
                    <tr key={u}>
                      <th scope="row">{u}</th>
                      <td className={s.healthy === 1 ? 'console-good' : 'console-bad'}>{s.healthy === undefined ? '–' : s.healthy === 1 ? 'yes' : 'no'}</td>
                      <td>{fmtCount(s.inFlight)}</td>
                      <td>{fmtRate(attempts(u)(last), '')}</td>
                      <td className={failures > 0 ? 'console-bad' : undefined}>{fmtRate(failures, '')}</td>
                    </tr>
                  );
                })}
              </tbody>
            </Table>
        </>
      )}
    </Section>
  );
}
