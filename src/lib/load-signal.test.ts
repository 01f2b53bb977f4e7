import { describe, expect, it } from 'vitest';
import { LoadSignal, yieldToApi } from './load-signal.js';

const policy = { busyAbove: 0.5, maxLagMs: 60_000, maxWaitMs: 10_000, pollMs: 5 };

describe('LoadSignal and yieldToApi', () => {
  it('shares a utilisation value through the buffer', () => {
    const a = new LoadSignal();
    const b = new LoadSignal(a.buffer);
    a.set(0.734);
    expect(b.utilization).toBe(0.734);
  });

  it('passes at once when the API thread has room', async () => {
    const s = new LoadSignal();
    s.set(0.2);
    expect(await yieldToApi(s, Date.now(), policy)).toBeLessThan(5);
  });

  it('waits while the API thread is busy and goes on when it calms down', async () => {
    const s = new LoadSignal();
    s.set(0.95);
    setTimeout(() => s.set(0.1), 60);
    const waited = await yieldToApi(s, Date.now(), policy);
    expect(waited).toBeGreaterThanOrEqual(50);
    expect(waited).toBeLessThan(1_000);
  });

  it('never holds a message past its lag budget or the longest wait', async () => {
    const s = new LoadSignal();
    s.set(1);
    expect(await yieldToApi(s, Date.now() - 60_000, policy)).toBeLessThan(5);
    expect(await yieldToApi(s, Date.now(), { ...policy, maxWaitMs: 40 })).toBeLessThan(500);
  });

  it('measures the publishing thread', async () => {
    const s = new LoadSignal();
    const stop = s.publishFromThisThread(20);
    const until = Date.now() + 120;
    while (Date.now() < until) {
      // keep the loop busy
    }
    // The overdue interval runs before this later timer, measuring the busy stretch.
    await new Promise((r) => setTimeout(r, 0));
    stop();
    expect(s.utilization).toBeGreaterThan(0.5);
  });
});
