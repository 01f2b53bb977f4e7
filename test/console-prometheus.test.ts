import { describe, expect, it } from 'vitest';
import { HttpMetrics } from '../src/observability/http-metrics.js';
import { addHistograms, counterIncrease, histogramIncrease, histogramQuantile, histograms, labelKey, parsePrometheus, parseValue, type Bucket } from '../web/src/console/prometheus.js';
import { hitRatio, percentiles, rate, rateOfMap, summarize, timeline, windowStart, type Snapshot } from '../web/src/console/snapshot.js';

/** The console's Prometheus text parser and the arithmetic on top of it (web/src/console). */
describe('parsePrometheus', () => {
  it('reads HELP, TYPE, labels and values; ignores other comments and blank lines', () => {
    const { families, errors } = parsePrometheus(
      [
        '# A free comment that is neither HELP nor TYPE',
        '# HELP http_requests_total Requests answered, with a \\\\ backslash and a\\nnew line.',
        '# TYPE http_requests_total counter',
        'http_requests_total{method="GET",route="/healthz",status="200"} 1027 1395066363000',
        '',
        'http_requests_total{method="POST",route="/api/v1/links",status="201",} 3',
        '# TYPE process_up gauge',
        'process_up 1',
        'untyped_thing{a="b"} -2.5e-3',
      ].join('\n'),
    );
    expect(errors).toEqual([]);
    const requests = families.get('http_requests_total')!;
    expect(requests.type).toBe('counter');
    expect(requests.help).toBe('Requests answered, with a \\ backslash and a\nnew line.');
    expect(requests.samples).toEqual([
      { name: 'http_requests_total', labels: { method: 'GET', route: '/healthz', status: '200' }, value: 1027, timestamp: 1395066363000 },
      { name: 'http_requests_total', labels: { method: 'POST', route: '/api/v1/links', status: '201' }, value: 3 },
    ]);
    expect(families.get('process_up')).toEqual({ name: 'process_up', type: 'gauge', help: '', samples: [{ name: 'process_up', labels: {}, value: 1 }] });
    expect(families.get('untyped_thing')!.type).toBe('untyped');
    expect(families.get('untyped_thing')!.samples[0]!.value).toBe(-0.0025);
    expect([...families.keys()]).toEqual(['http_requests_total', 'process_up', 'untyped_thing']);
  });

  it('unescapes label values: backslash, double quote, new line; keeps commas, braces and spaces', () => {
    const { families, errors } = parsePrometheus(['# TYPE odd gauge', 'odd{path="C:\\\\dir\\\\",quote="say \\"hi\\"",multi="one\\ntwo",punct="a,b} {c=d", spaced = "x" } 7'].join('\n'));
    expect(errors).toEqual([]);
    expect(families.get('odd')!.samples[0]!.labels).toEqual({ path: 'C:\\dir\\', quote: 'say "hi"', multi: 'one\ntwo', punct: 'a,b} {c=d', spaced: 'x' });
  });

  it('reads NaN, +Inf and -Inf values and an +Inf bucket bound', () => {
    const { families, errors } = parsePrometheus(['# TYPE g gauge', 'g{k="nan"} NaN', 'g{k="pos"} +Inf', 'g{k="neg"} -Inf', 'g{k="int"} 42', 'g{k="exp"} 1.5E3'].join('\n'));
    expect(errors).toEqual([]);
    const values = families.get('g')!.samples.map((s) => s.value);
    expect(values[0]).toBeNaN();
    expect(values.slice(1)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 42, 1500]);
    expect(parseValue('+inf')).toBe(Number.POSITIVE_INFINITY);
    expect(() => parseValue('0x10')).toThrow(/not a number/);
    expect(() => parseValue('')).toThrow(/not a number/);
  });

  it('gathers a histogram: _bucket, _sum and _count under the family, one series per label set', () => {
    const text = [
      '# HELP rpc_seconds RPC latency.',
      '# TYPE rpc_seconds histogram',
      'rpc_seconds_bucket{le="0.1",op="read"} 3',
      'rpc_seconds_bucket{le="1",op="read"} 8',
      'rpc_seconds_bucket{le="+Inf",op="read"} 10',
      'rpc_seconds_sum{op="read"} 7.5',
      'rpc_seconds_count{op="read"} 10',
      'rpc_seconds_bucket{op="write",le="1"} 1',
      'rpc_seconds_bucket{op="write",le="0.1"} 0',
      'rpc_seconds_bucket{op="write",le="+Inf"} 2',
      'rpc_seconds_sum{op="write"} 3',
      'rpc_seconds_count{op="write"} 2',
    ].join('\n');
    const { families, errors } = parsePrometheus(text);
    expect(errors).toEqual([]);
    expect([...families.keys()]).toEqual(['rpc_seconds']);
    expect(families.get('rpc_seconds')!.samples).toHaveLength(10);
    const [read, write] = histograms(families.get('rpc_seconds'));
    expect(read).toEqual({
      labels: { op: 'read' },
      buckets: [
        { le: 0.1, count: 3 },
        { le: 1, count: 8 },
        { le: Number.POSITIVE_INFINITY, count: 10 },
      ],
      sum: 7.5,
      count: 10,
    });
    // Out-of-order buckets are sorted by bound.
    expect(write!.buckets.map((b) => b.le)).toEqual([0.1, 1, Number.POSITIVE_INFINITY]);
    expect(write!.count).toBe(2);
  });

  it('does not claim a _count sample for a family that is not a histogram', () => {
    const { families } = parsePrometheus(['# TYPE jobs gauge', 'jobs 1', 'jobs_count 5'].join('\n'));
    expect(families.get('jobs')!.samples).toHaveLength(1);
    expect(families.get('jobs_count')!.samples[0]!.value).toBe(5);
  });

  it('merges a family declared twice (two registries in one scrape)', () => {
    const { families } = parsePrometheus(['# TYPE up gauge', 'up{thread="main"} 1', '', '# HELP up Up.', '# TYPE up gauge', 'up{thread="worker"} 0'].join('\n'));
    expect(families.get('up')!.samples.map((s) => s.labels.thread)).toEqual(['main', 'worker']);
    expect(families.get('up')!.help).toBe('Up.');
  });

  it('reports broken lines with their numbers and keeps the rest', () => {
    const { families, errors } = parsePrometheus(
      ['# TYPE ok gauge', 'ok 1', 'bad{a="unterminated} 1', 'bad2{a="x" b="y"} 1', 'bad3{a="\\t"} 1', 'bad4 one', 'bad5 1 2 3', 'bad6{a="1",a="2"} 1', '{a="b"} 1', '# TYPE t sometype', 'ok 2'].join('\n'),
    );
    expect(errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(errors[2]!.reason).toMatch(/escape/);
    expect(errors[3]!.reason).toMatch(/not a number/);
    expect(families.get('ok')!.samples.map((s) => s.value)).toEqual([1, 2]);
  });

  it('handles CRLF line ends', () => {
    const { families, errors } = parsePrometheus('# TYPE c counter\r\nc_total 3\r\nc 4\r\n');
    expect(errors).toEqual([]);
    expect(families.get('c')!.samples.map((s) => s.value)).toEqual([4]);
    expect(families.get('c_total')!.samples.map((s) => s.value)).toEqual([3]);
  });

  it('reads what the server writes: HttpMetrics text with escaped route labels', () => {
    const http = new HttpMetrics();
    http.observe('GET', '/a "quoted"\\route', 200, 0.003);
    http.observe('GET', '/a "quoted"\\route', 500, 0.2);
    const { families, errors } = parsePrometheus(http.render());
    expect(errors).toEqual([]);
    const statuses = families.get('http_requests_total')!.samples.map((s) => [s.labels.route, s.labels.status, s.value]);
    expect(statuses).toEqual([
      ['/a "quoted"\\route', '200', 1],
      ['/a "quoted"\\route', '500', 1],
    ]);
    const [h] = histograms(families.get('http_request_duration_seconds'));
    expect(h!.labels).toEqual({ method: 'GET', route: '/a "quoted"\\route' });
    expect(h!.count).toBe(2);
    expect(h!.buckets.at(-1)).toEqual({ le: Number.POSITIVE_INFINITY, count: 2 });
    expect(h!.buckets.find((b) => b.le === 0.005)!.count).toBe(1);
  });

  it('labelKey is independent of label order', () => {
    expect(labelKey({ b: '2', a: '1' })).toBe(labelKey({ a: '1', b: '2' }));
    expect(labelKey({ a: '1', le: '0.5' }, ['le'])).toBe(labelKey({ a: '1' }));
  });
});

const buckets = (pairs: [number, number][]): Bucket[] => pairs.map(([le, count]) => ({ le, count }));

describe('histogramQuantile (as Prometheus computes it)', () => {
  // 100 observations: 10 ≤ 0.1, 50 ≤ 0.5, 90 ≤ 1, all ≤ +Inf.
  const b = buckets([
    [0.1, 10],
    [0.5, 50],
    [1, 90],
    [Number.POSITIVE_INFINITY, 100],
  ]);

  it('interpolates linearly inside the bucket the rank falls in', () => {
    expect(histogramQuantile(0.05, b)).toBeCloseTo(0.05); // rank 5 of the first bucket's 10, from 0
    expect(histogramQuantile(0.5, b)).toBeCloseTo(0.5); // rank 50: the top of (0.1, 0.5]
    expect(histogramQuantile(0.3, b)).toBeCloseTo(0.3); // rank 30: half-way through (0.1, 0.5]
    expect(histogramQuantile(0.7, b)).toBeCloseTo(0.75); // rank 70: half-way through (0.5, 1]
  });

  it('answers the highest finite bound for a rank in the +Inf bucket', () => {
    expect(histogramQuantile(0.95, b)).toBe(1);
    expect(histogramQuantile(0.99, b)).toBe(1);
  });

  it('NaN without observations or without a +Inf bucket; ±Inf outside [0, 1]', () => {
    expect(histogramQuantile(0.5, buckets([[0.1, 0], [Number.POSITIVE_INFINITY, 0]]))).toBeNaN();
    expect(histogramQuantile(0.5, buckets([[0.1, 3], [1, 4]]))).toBeNaN();
    expect(histogramQuantile(0.5, buckets([[Number.POSITIVE_INFINITY, 4]]))).toBeNaN();
    expect(histogramQuantile(-0.1, b)).toBe(Number.NEGATIVE_INFINITY);
    expect(histogramQuantile(1.1, b)).toBe(Number.POSITIVE_INFINITY);
    expect(histogramQuantile(Number.NaN, b)).toBeNaN();
  });

  it('sorts buckets and repairs counts that go down', () => {
    const shuffled = buckets([
      [1, 90],
      [Number.POSITIVE_INFINITY, 100],
      [0.1, 10],
      [0.5, 50],
    ]);
    expect(histogramQuantile(0.7, shuffled)).toBeCloseTo(0.75);
    // 0.5 reads 5, less than 0.1's 10: taken as 10, so (0.5, 1] holds 10 and rank 15 is half-way through it
    // (unrepaired it would hold 15, and answer 0.83).
    expect(histogramQuantile(0.75, buckets([[0.1, 10], [0.5, 5], [1, 20], [Number.POSITIVE_INFINITY, 20]]))).toBeCloseTo(0.75);
  });

  it('answers the bound of a first bucket at or below zero', () => {
    expect(histogramQuantile(0.5, buckets([[-1, 5], [0, 8], [Number.POSITIVE_INFINITY, 10]]))).toBeCloseTo(-1);
  });
});

describe('counter and histogram increases', () => {
  it('a counter that went down was reset: all of its value is new', () => {
    expect(counterIncrease(15, 10)).toBe(5);
    expect(counterIncrease(3, 10)).toBe(3);
    expect(counterIncrease(7, undefined)).toBe(7);
  });

  it('the window of a histogram is its bucket increases; a restart takes the new histogram whole', () => {
    const before = { buckets: buckets([[0.1, 10], [1, 20], [Number.POSITIVE_INFINITY, 20]]), sum: 5, count: 20 };
    const now = { buckets: buckets([[0.1, 10], [1, 24], [Number.POSITIVE_INFINITY, 30]]), sum: 25, count: 30 };
    const window = histogramIncrease(now, before);
    expect(window).toEqual({ buckets: buckets([[0.1, 0], [1, 4], [Number.POSITIVE_INFINITY, 10]]), sum: 20, count: 10 });
    // All ten new observations were above 0.1; six above 1: p50 is in (0.1, 1], p95 above 1.
    expect(histogramQuantile(0.3, window.buckets)).toBeCloseTo(0.1 + 0.9 * (3 / 4));
    expect(histogramQuantile(0.95, window.buckets)).toBe(1);
    const restarted = { buckets: buckets([[0.1, 1], [1, 2], [Number.POSITIVE_INFINITY, 2]]), sum: 0.3, count: 2 };
    expect(histogramIncrease(restarted, before)).toBe(restarted);
  });

  it('adds histograms bucket by bucket', () => {
    const a = { buckets: buckets([[0.1, 1], [Number.POSITIVE_INFINITY, 2]]), sum: 1, count: 2 };
    const b = { buckets: buckets([[0.1, 3], [Number.POSITIVE_INFINITY, 5]]), sum: 2, count: 5 };
    expect(addHistograms([a, b])).toEqual({ buckets: buckets([[0.1, 4], [Number.POSITIVE_INFINITY, 7]]), sum: 3, count: 7 });
  });
});

describe('console snapshots', () => {
  /** A scrape at `t` seconds with `n` requests on /healthz, all of them within 1 ms, and the link cache's counters. */
  function scrape(t: number, n: number, cache: { hit: number; miss: number }): Snapshot {
    const http = new HttpMetrics();
    for (let i = 0; i < n; i++) http.observe('GET', '/healthz', 200, 0.0008);
    const text = [
      http.render(),
      '# TYPE cache_requests_total counter',
      `cache_requests_total{cache="links",result="hit"} ${cache.hit}`,
      `cache_requests_total{cache="links",result="miss"} ${cache.miss}`,
      '# TYPE queue_messages gauge',
      'queue_messages{topic="clicks",state="ready"} 4',
      'queue_messages{topic="clicks",state="dead"} 2',
      '# TYPE queue_lag_seconds gauge',
      'queue_lag_seconds{topic="clicks"} 1.5',
    ].join('\n');
    return summarize(parsePrometheus(text), t);
  }

  it('keeps per route requests and latency, per cache hits and misses, per topic depth and lag', () => {
    const s = scrape(100, 3, { hit: 8, miss: 2 });
    expect(s.routes.get('GET /healthz')).toMatchObject({ requests: 3, serverErrors: 0, tooMany: 0, latency: { count: 3 } });
    expect(s.caches.get('links')).toEqual({ hits: 8, misses: 2 });
    expect(s.queues.get('clicks')).toEqual({ ready: 4, inFlight: 0, delayed: 0, dead: 2, lagSeconds: 1.5 });
    expect(s.declared.has('queue_messages')).toBe(true);
    expect(s.declared.has('gateway_breaker_state')).toBe(false);
  });

  it('rates and ratios over a trailing window, across a restart', () => {
    const history = [scrape(100, 0, { hit: 0, miss: 0 }), scrape(101, 10, { hit: 5, miss: 5 }), scrape(102, 30, { hit: 15, miss: 5 }), scrape(103, 4, { hit: 1, miss: 1 })];
    // From 100 to 102: 30 requests in 2 s.
    expect(rateOfMap(history, 2, 10, (s) => s.routes, (r) => r.requests)).toBe(15);
    // A 1 s window from 102 starts at 101: 20 requests.
    expect(windowStart(history, 2, 1)).toBe(1);
    expect(rate(history, 2, 1, (s) => s.routes.get('GET /healthz')?.requests)).toBe(20);
    expect(hitRatio(history, 2, 1, 'links')).toEqual({ ratio: 1, hits: 10, lookups: 10 });
    // At 103 the process restarted (4 < 30): its 4 requests are new, over 1 s.
    expect(rate(history, 3, 1, (s) => s.routes.get('GET /healthz')?.requests)).toBe(4);
    // The first scrape has no rate.
    expect(rate(history, 0, 10, (s) => s.routes.get('GET /healthz')?.requests)).toBeNaN();
    const p = percentiles(history[2]!.routes.get('GET /healthz')!.latency);
    expect(p.count).toBe(30);
    expect(p.p50).toBeGreaterThan(0.0005);
    expect(p.p50).toBeLessThanOrEqual(0.001);
  });

  it('marks missed scrapes as a gap on the time line', () => {
    const history = [scrape(100, 0, { hit: 0, miss: 0 }), scrape(101, 0, { hit: 0, miss: 0 }), scrape(106, 0, { hit: 0, miss: 0 })];
    expect(timeline(history, 1)).toEqual({ times: [100, 101, 102, 106], index: [0, 1, null, 2] });
  });
});
