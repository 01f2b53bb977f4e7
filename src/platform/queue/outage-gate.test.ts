import { describe, expect, it } from 'vitest';
import { outageGate } from './outage-gate.js';
import type { QueueMessage } from './queue.port.js';

const message: QueueMessage<number> = { id: '1', topic: 't', key: null, payload: 7, attempt: 1, publishedAt: 0, traceparent: null };

/** A dependency that is down until `up()`. */
function dependency() {
  let isUp = true;
  let pings = 0;
  return {
    get pings() {
      return pings;
    },
    down: () => (isUp = false),
    up: () => (isUp = true),
    ping: async () => {
      pings++;
      if (!isUp) throw new Error('down');
    },
  };
}

describe('outageGate', () => {
  it('runs the handler once when it succeeds, without pinging', async () => {
    const dep = dependency();
    const seen: number[] = [];
    await outageGate<number>(async (m) => void seen.push(m.payload), { ping: dep.ping, maxWaitMs: 1_000 })(message);
    expect(seen).toEqual([7]);
    expect(dep.pings).toBe(0);
  });

  it('throws at once a failure that is the message’s own (the dependency answers)', async () => {
    const dep = dependency();
    let calls = 0;
    const gated = outageGate<number>(
      async () => {
        calls++;
        throw new Error('bad message');
      },
      { ping: dep.ping, maxWaitMs: 5_000 },
    );
    await expect(gated(message)).rejects.toThrow('bad message');
    expect(calls).toBe(1);
    // One ping told it apart from an outage; no waiting.
    expect(dep.pings).toBe(1);
  });

  it('waits through an outage and runs the handler again once the dependency is back', async () => {
    const dep = dependency();
    dep.down();
    let calls = 0;
    const waits: unknown[] = [];
    const gated = outageGate<number>(
      async () => {
        calls++;
        await dep.ping();
      },
      { ping: dep.ping, maxWaitMs: 5_000, pollMs: 5, onWait: (e) => waits.push(e) },
    );
    setTimeout(dep.up, 120);
    await gated(message);
    expect(calls).toBe(2);
    expect(waits).toHaveLength(1);
    expect(dep.pings).toBeGreaterThan(2);
  });

  it('gives up with the handler’s error when the outage outlasts maxWaitMs', async () => {
    const dep = dependency();
    dep.down();
    let calls = 0;
    const gated = outageGate<number>(
      async () => {
        calls++;
        throw new Error('store unreachable');
      },
      { ping: dep.ping, maxWaitMs: 150, pollMs: 10 },
    );
    const started = Date.now();
    await expect(gated(message)).rejects.toThrow('store unreachable');
    expect(calls).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});
