import { describe, expect, it } from 'vitest';
import { HttpMetrics } from './http-metrics.js';

describe('HttpMetrics', () => {
  it('counts by route and status and fills cumulative latency buckets', () => {
    const m = new HttpMetrics();
    m.observe('GET', '/:code', 302, 0.0004);
    m.observe('GET', '/:code', 302, 0.003);
    m.observe('GET', '/:code', 404, 7);
    m.observe('POST', '/api/v1/links', 201, 0.02);
    const text = m.render();
    expect(text).toContain('http_requests_total{method="GET",route="/:code",status="302"} 2');
    expect(text).toContain('http_requests_total{method="GET",route="/:code",status="404"} 1');
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.0005",method="GET",route="/:code"} 1');
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.005",method="GET",route="/:code"} 2');
    expect(text).toContain('http_request_duration_seconds_bucket{le="5",method="GET",route="/:code"} 2');
    expect(text).toContain('http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/:code"} 3');
    expect(text).toContain('http_request_duration_seconds_count{method="POST",route="/api/v1/links"} 1');
    expect(text).toMatch(/http_request_duration_seconds_sum\{method="GET",route="\/:code"\} 7\.003/);
  });

  it('records through a route handle into the same series as observe, and shows no series before its first request', () => {
    const m = new HttpMetrics();
    const route = m.route('/:code');
    expect(m.render()).not.toContain('route="/:code"');
    route('GET', 302, 0.0004);
    route('HEAD', 301, 0.0004);
    m.observe('GET', '/:code', 302, 0.0004);
    route('OPTIONS', 204, 0.0004);
    const text = m.render();
    expect(text).toContain('http_requests_total{method="GET",route="/:code",status="302"} 2');
    expect(text).toContain('http_requests_total{method="HEAD",route="/:code",status="301"} 1');
    expect(text).toContain('http_requests_total{method="OPTIONS",route="/:code",status="204"} 1');
    expect(text).toContain('http_request_duration_seconds_count{method="GET",route="/:code"} 2');
  });

  it('escapes label values', () => {
    const m = new HttpMetrics();
    m.observe('GET', 'a"b\\c\nd', 200, 0.1);
    expect(m.render()).toContain('route="a\\"b\\\\c\\nd"');
  });
});
