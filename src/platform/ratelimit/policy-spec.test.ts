import { describe, expect, it } from 'vitest';
import { parsePolicySpec } from './policy-spec.js';

describe('parsePolicySpec', () => {
  it('reads nginx-style leaky-bucket policies', () => {
    expect(parsePolicySpec('leaky-bucket 10/s burst=20 nodelay')).toEqual({ rule: { algorithm: 'leaky-bucket', limit: 10, windowMs: 1000, burst: 20, delay: 20 }, by: 'ip', fail: 'open' });
    expect(parsePolicySpec('leaky-bucket 2/1s burst=5 delay=3')).toMatchObject({ rule: { burst: 5, delay: 3 } });
  });

  it('reads windows, keys and failure modes', () => {
    expect(parsePolicySpec(' gcra 30/1m burst=10 by=user fail=closed ')).toEqual({ rule: { algorithm: 'gcra', limit: 30, windowMs: 60_000, burst: 10 }, by: 'user', fail: 'closed' });
    expect(parsePolicySpec('sliding-log 10/5m')).toMatchObject({ rule: { windowMs: 300_000 } });
    expect(parsePolicySpec('fixed-window 1000/250ms by=global')).toMatchObject({ rule: { windowMs: 250 }, by: 'global' });
  });

  it('explains what is wrong', () => {
    expect(parsePolicySpec('bucket 10/s')).toMatch(/unknown algorithm "bucket"/);
    expect(parsePolicySpec('gcra ten/s')).toMatch(/not <limit>\/<window>/);
    expect(parsePolicySpec('gcra 0/s')).toMatch(/positive/);
    expect(parsePolicySpec('gcra 10/s by=cookie')).toMatch(/option "by=cookie"/);
    expect(parsePolicySpec('gcra 10/s nodelay')).toMatch(/leaky-bucket only/);
    expect(parsePolicySpec('leaky-bucket 10/s burst=2 delay=3')).toMatch(/cannot exceed burst/);
    expect(parsePolicySpec('leaky-bucket 10/s burst=2 delay=1 nodelay')).toMatch(/exclude each other/);
  });
});
