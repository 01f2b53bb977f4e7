import { performance } from 'node:perf_hooks';

/**
 * The API thread's event-loop utilisation (0..1), published into shared memory so that
 * background threads can see how busy the request path is without messages or locks.
 */
export class LoadSignal {
  readonly buffer: SharedArrayBuffer;
  readonly #cell: Int32Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.buffer = buffer;
    this.#cell = new Int32Array(buffer);
  }

  /** Measures this thread's utilisation every `intervalMs` into the signal; returns a stop function. */
  publishFromThisThread(intervalMs = 100): () => void {
    let last = performance.eventLoopUtilization();
    const timer = setInterval(() => {
      const now = performance.eventLoopUtilization();
      this.set(performance.eventLoopUtilization(now, last).utilization);
      last = now;
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  set(utilization: number): void {
    Atomics.store(this.#cell, 0, Math.round(utilization * 1000));
  }

  /** The last published utilisation, 0..1. */
  get utilization(): number {
    return Atomics.load(this.#cell, 0) / 1000;
  }
}

export interface YieldPolicy {
  /** Background work waits while the API thread is busier than this (0..1; 1 never waits). */
  busyAbove: number;
  /** ...but never lets a message get older than this: past it, work proceeds regardless. */
  maxLagMs: number;
  /** Longest single wait (keep it under the queue's visibility timeout). */
  maxWaitMs: number;
  pollMs: number;
}

/**
 * Load levelling for background consumers: while the request path is saturated, a message waits
 * (it is durable in the queue meanwhile) until the API thread has room or the message reaches
 * its lag budget. Returns how long it waited.
 */
export async function yieldToApi(signal: LoadSignal, publishedAt: number, policy: YieldPolicy, now: () => number = Date.now): Promise<number> {
  const start = now();
  const deadline = Math.min(publishedAt + policy.maxLagMs, start + policy.maxWaitMs);
  while (signal.utilization > policy.busyAbove && now() < deadline) {
    await new Promise((r) => setTimeout(r, policy.pollMs));
  }
  return now() - start;
}
