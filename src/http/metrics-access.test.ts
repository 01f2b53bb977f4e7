import { describe, expect, it } from 'vitest';
import { isLoopbackHost, metricsAccessFor } from './metrics-access.js';

describe('metricsAccessFor', () => {
  it('tells loopback listen addresses from the rest', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', 'LOCALHOST']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'example.com', '127.0.0.1.example.com', '::ffff:10.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('is open on loopback only while neither a token nor a metrics port is configured', () => {
    expect(metricsAccessFor({}, '127.0.0.1').open).toBe(true);
    expect(metricsAccessFor({}, '0.0.0.0').open).toBe(false);
    expect(metricsAccessFor({ METRICS_TOKEN: 'x'.repeat(16) }, '127.0.0.1').open).toBe(false);
    expect(metricsAccessFor({ METRICS_PORT: 9100 }, '127.0.0.1').open).toBe(false);
  });
});
