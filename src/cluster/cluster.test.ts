import { describe, expect, it } from 'vitest';
import { formatStatus, sumRequests } from './cluster.js';

describe('sumRequests', () => {
  it('adds up the API requests of a Prometheus exposition, not health checks or scrapes', () => {
    const text = [
      '# HELP http_requests_total Requests.',
      'http_requests_total{method="GET",route="/:code",status="302"} 40',
      'http_requests_total{method="POST",route="/api/v1/links",status="201"} 2',
      'http_requests_total{method="GET",route="/readyz",status="200"} 9',
      'http_requests_total{method="GET",route="/metrics",status="200"} 3',
      'http_request_duration_seconds_count{method="GET",route="/:code"} 40',
    ].join('\n');
    expect(sumRequests(text)).toBe(42);
  });
});

describe('formatStatus', () => {
  it('prints one aligned line per process, with state, rate and restarts', () => {
    const text = formatStatus(
      [
        { name: 'api-1', role: 'api', pid: 123, address: 'http://127.0.0.1:8081', state: 'up', uptimeSeconds: 65, restarts: 0, ready: true, requests: 200, lastExit: undefined },
        { name: 'api-2', role: 'api', pid: undefined, address: undefined, state: 'exited', uptimeSeconds: 0, restarts: 2, ready: undefined, requests: undefined, lastExit: 'SIGKILL' },
      ],
      2,
    );
    const [first, second] = text.split('\n');
    expect(first).toMatch(/^api-1\s+123\s+http:\/\/127\.0\.0\.1:8081\s+ready\s+up\s+65 s\s+100 req\/s\s+restarts 0$/);
    expect(second).toMatch(/^api-2\s+-\s+-\s+exited \(SIGKILL\)\s+up\s+0 s\s+- req\/s\s+restarts 2$/);
  });
});
