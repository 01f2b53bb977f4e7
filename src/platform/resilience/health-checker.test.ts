import { afterEach, describe, expect, it, vi } from 'vitest';
import { HealthChecker, type HealthCheckerOptions } from './health-checker.js';
import { until as pollUntil } from '../../../test/helpers/poll.js';

/**
 * Real timers, small intervals. Tests assert which probe caused which change, never how long
 * anything took, and every wait is bounded, so a loaded machine slows them down but cannot fail them.
 */

type Answer = (id: string, call: number, signal: AbortSignal) => Promise<boolean> | boolean;

const checkers: HealthChecker[] = [];
afterEach(async () => {
  await Promise.all(checkers.splice(0).map((c) => c.stop()));
});

/** Polls every millisecond: probes run every 5 ms here, and tests read which probe made a change. */
const until = (condition: () => boolean, what: string) => pollUntil(condition, what, { intervalMs: 1, timeoutMs: 5_000 });

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves false when `signal` aborts; a probe that honours its abort. */
function untilAborted(signal: AbortSignal): Promise<boolean> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

/** A checker whose probes are answered by `answer`, recording calls, overlap and changes; `react` runs in onChange. */
function harness(
  targets: string[],
  answer: Answer,
  options: Partial<Omit<HealthCheckerOptions, 'targets' | 'probe' | 'onChange'>> = {},
  react?: (checker: HealthChecker, id: string, healthy: boolean) => void,
) {
  const calls = new Map<string, number>();
  const active = new Map<string, number>();
  const signals: AbortSignal[] = [];
  const signalsOf = new Map<string, AbortSignal[]>();
  let maxActive = 0;
  const changes: { id: string; healthy: boolean; atCall: number }[] = [];
  const checker = new HealthChecker({
    targets,
    intervalMs: 5,
    jitterMs: 0,
    // Long, so that a probe hanging on purpose is not timed out by a slow machine; tests of timeouts set it.
    timeoutMs: 60_000,
    ...options,
    probe: async (id, signal) => {
      const call = (calls.get(id) ?? 0) + 1;
      calls.set(id, call);
      active.set(id, (active.get(id) ?? 0) + 1);
      maxActive = Math.max(maxActive, active.get(id)!);
      signals.push(signal);
      signalsOf.set(id, [...(signalsOf.get(id) ?? []), signal]);
      try {
        return await answer(id, call, signal);
      } finally {
        active.set(id, active.get(id)! - 1);
      }
    },
    onChange: (id, healthy) => {
      changes.push({ id, healthy, atCall: calls.get(id) ?? 0 });
      react?.(checker, id, healthy);
    },
  });
  checkers.push(checker);
  return {
    checker,
    changes,
    signals,
    signalsOf: (id: string) => signalsOf.get(id) ?? [],
    calls: (id: string) => calls.get(id) ?? 0,
    get maxActive() {
      return maxActive;
    },
  };
}

/** Answers from a script per call (1-based), then `rest`. */
function script(outcomes: boolean[], rest = true): Answer {
  return (_id, call) => outcomes[call - 1] ?? rest;
}

describe('HealthChecker', () => {
  it('turns unhealthy on the third failure in a row and healthy on the second success in a row (defaults)', async () => {
    const h = harness(['a'], script([true, false, false, true, false, false, false, false, true, true]), { timeoutMs: 20 });
    expect(h.checker.state('a')).toEqual({ healthy: true, consecutiveSuccesses: 0, consecutiveFailures: 0 });
    h.checker.start();
    await until(() => h.changes.length === 2, 'two changes');
    expect(h.changes).toEqual([
      { id: 'a', healthy: false, atCall: 7 },
      { id: 'a', healthy: true, atCall: 10 },
    ]);
    await until(() => h.calls('a') >= 12, 'more probes');
    expect(h.changes).toHaveLength(2);
    expect(h.checker.state('a')).toMatchObject({ healthy: true, consecutiveFailures: 0 });
    // Answered probes are not aborted afterwards (the first is 55 ms old at least): their timeout was cleared.
    expect(h.signals.some((s) => s.aborted)).toBe(false);
  });

  it('uses the configured thresholds', async () => {
    const h = harness(['a'], script([false, true, true, false, true, true, true]), { unhealthyThreshold: 1, healthyThreshold: 3 });
    h.checker.start();
    await until(() => h.changes.length === 2, 'two changes');
    expect(h.changes).toEqual([
      { id: 'a', healthy: false, atCall: 1 },
      { id: 'a', healthy: true, atCall: 7 },
    ]);
  });

  it('starts targets unhealthy with initiallyHealthy: false, until they pass healthyThreshold probes', async () => {
    const h = harness(['a', 'b'], (id) => id === 'a', { initiallyHealthy: false });
    expect(h.checker.state('a')?.healthy).toBe(false);
    expect(h.checker.healthyTargets()).toEqual([]);
    h.checker.start();
    await until(() => h.changes.length === 1 && h.calls('b') >= 5, 'a healthy, b probed');
    expect(h.changes).toEqual([{ id: 'a', healthy: true, atCall: 2 }]);
    expect(h.checker.healthyTargets()).toEqual(['a']);
    expect(h.checker.state('b')).toMatchObject({ healthy: false, consecutiveSuccesses: 0 });
  });

  it('counts a rejection, a synchronous throw and any answer but true as failures', async () => {
    let call = 0;
    const probe = (): Promise<boolean> => {
      call++;
      if (call === 1) return Promise.reject(new Error('connection refused'));
      if (call === 2) throw new Error('bug in the probe');
      return Promise.resolve('yes' as unknown as boolean);
    };
    const changes: boolean[] = [];
    const checker = new HealthChecker({ targets: ['a'], probe, intervalMs: 5, jitterMs: 0, onChange: (_id, healthy) => changes.push(healthy) });
    checkers.push(checker);
    checker.start();
    await until(() => changes.length === 1, 'unhealthy');
    expect(call).toBe(3);
    expect(changes).toEqual([false]);
  });

  it('aborts a probe at timeoutMs with a TimeoutError and counts it as a failure', async () => {
    const h = harness(['a'], (_id, _call, signal) => untilAborted(signal), { timeoutMs: 10 });
    h.checker.start();
    await until(() => h.changes.length === 1, 'unhealthy');
    expect(h.changes).toEqual([{ id: 'a', healthy: false, atCall: 3 }]);
    expect(h.signals.slice(0, 3).every((s) => s.aborted && (s.reason as Error).name === 'TimeoutError')).toBe(true);
  });

  it('never overlaps probes of one target, even when they outlast the interval', async () => {
    const h = harness(['a'], () => sleep(15).then(() => true), { intervalMs: 1 });
    h.checker.start();
    await until(() => h.calls('a') >= 5, 'five probes');
    expect(h.maxActive).toBe(1);
  });

  it('does not start a probe beside one that ignored its abort, and counts the wait as failures', async () => {
    let release: (ok: boolean) => void = () => {};
    const h = harness(['a'], (_id, call) => (call === 1 ? new Promise<boolean>((resolve) => (release = resolve)) : true), { timeoutMs: 5, intervalMs: 1 });
    h.checker.start();
    await until(() => h.changes.length === 1, 'unhealthy');
    expect(h.changes).toEqual([{ id: 'a', healthy: false, atCall: 1 }]);
    await until(() => h.checker.state('a')!.consecutiveFailures >= 6, 'more failed rounds');
    expect(h.calls('a')).toBe(1);
    // Once the stuck probe returns (its late answer does not count), probing resumes.
    release(true);
    await until(() => h.changes.length === 2, 'healthy again');
    expect(h.changes[1]).toEqual({ id: 'a', healthy: true, atCall: 3 });
    expect(h.maxActive).toBe(1);
  });

  it('probes targets independently: a hanging one does not hold back the others', async () => {
    const h = harness(['slow', 'fast'], (id, _call, signal) => (id === 'slow' ? untilAborted(signal) : true));
    h.checker.start();
    await until(() => h.calls('fast') >= 5, 'fast probed five times');
    expect(h.calls('slow')).toBe(1);
    expect(h.changes).toEqual([]);
  });

  it('stop aborts probes in flight, records nothing for them, resolves, and probes no more', async () => {
    const h = harness(['a', 'b'], (_id, call, signal) => (call === 1 ? true : untilAborted(signal)));
    h.checker.start();
    await until(() => h.calls('a') === 2 && h.calls('b') === 2, 'second probes in flight');
    await h.checker.stop();
    const inFlight = [h.signalsOf('a')[1]!, h.signalsOf('b')[1]!];
    expect(inFlight.every((s) => s.aborted && (s.reason as Error).name === 'AbortError')).toBe(true);
    expect(h.checker.state('a')).toEqual({ healthy: true, consecutiveSuccesses: 1, consecutiveFailures: 0 });
    await sleep(40);
    expect([h.calls('a'), h.calls('b')]).toEqual([2, 2]);
  });

  it('stop resolves even when a probe ignores its abort', async () => {
    const h = harness(['a'], () => new Promise<boolean>(() => {}));
    h.checker.start();
    await until(() => h.calls('a') === 1, 'probe in flight');
    await h.checker.stop();
    expect(h.signals[0]!.aborted).toBe(true);
    expect(h.checker.state('a')!.consecutiveFailures).toBe(0);
  });

  it('ignores a second start, and starts again after stop without doubling the probing', async () => {
    const h = harness(['a'], (_id, call, signal) => (call === 1 || call === 3 ? untilAborted(signal) : true));
    h.checker.start();
    h.checker.start();
    await until(() => h.calls('a') === 1, 'first probe');
    await sleep(30);
    // A second loop would have found the probe running and counted a failure.
    expect(h.checker.state('a')!.consecutiveFailures).toBe(0);
    await h.checker.stop();
    h.checker.start();
    h.checker.start();
    await until(() => h.calls('a') === 3, 'probing again');
    await sleep(30);
    expect(h.checker.state('a')).toMatchObject({ consecutiveFailures: 0, consecutiveSuccesses: 1 });
    expect(h.maxActive).toBe(1);
  });

  it('follows membership changes: new targets probed, removed ones aborted and forgotten, kept ones unchanged', async () => {
    const h = harness(['a', 'b'], (id, _call, signal) => (id === 'a' ? untilAborted(signal) : id === 'b' ? false : true));
    h.checker.start();
    await until(() => h.changes.length === 1 && h.calls('a') === 1, 'b unhealthy, a in flight');
    h.checker.setTargets(['b', 'c', 'c']);
    expect(h.checker.state('a')).toBeUndefined();
    expect(h.signalsOf('a')[0]!.aborted).toBe(true);
    expect(h.checker.state('c')).toEqual({ healthy: true, consecutiveSuccesses: 0, consecutiveFailures: 0 });
    expect(h.checker.state('b')?.healthy).toBe(false);
    await until(() => h.calls('c') >= 3, 'c probed');
    expect(h.calls('a')).toBe(1);
    expect(h.changes).toEqual([{ id: 'b', healthy: false, atCall: 3 }]);
    expect(h.checker.healthyTargets()).toEqual(['c']);
    // Added back, a target starts afresh.
    h.checker.setTargets(['a', 'b', 'c']);
    expect(h.checker.state('a')).toEqual({ healthy: true, consecutiveSuccesses: 0, consecutiveFailures: 0 });
    await until(() => h.calls('a') === 2, 'a probed again');
  });

  it('stops probing a target that onChange removes', async () => {
    const h = harness(['a', 'b'], (id) => id === 'b', { unhealthyThreshold: 1 }, (checker, id) => checker.setTargets(['a', 'b'].filter((t) => t !== id)));
    h.checker.start();
    await until(() => h.calls('b') >= 5, 'b probed');
    expect(h.changes).toEqual([{ id: 'a', healthy: false, atCall: 1 }]);
    expect(h.calls('a')).toBe(1);
    expect(h.checker.state('a')).toBeUndefined();
  });

  it('stops probing altogether when onChange stops the checker', async () => {
    let stopped: Promise<void> | undefined;
    const h = harness(['a', 'b'], (id) => id === 'b', { unhealthyThreshold: 1 }, (checker) => (stopped = checker.stop()));
    h.checker.start();
    await until(() => stopped !== undefined, 'a unhealthy');
    await stopped;
    await sleep(40);
    expect(h.calls('a')).toBe(1);
    expect(h.calls('b')).toBeLessThanOrEqual(1);
  });

  it('runs one loop per target when onChange stops and starts the checker again', async () => {
    const h = harness(['a'], (_id, call, signal) => (call === 1 ? false : untilAborted(signal)), { unhealthyThreshold: 1 }, (checker) => {
      void checker.stop();
      checker.start();
    });
    h.checker.start();
    await until(() => h.calls('a') === 2, 'second probe in flight');
    await sleep(40);
    // A loop left over from before the restart would have found the probe running and failed a round.
    expect(h.checker.state('a')).toMatchObject({ healthy: false, consecutiveFailures: 1 });
    expect(h.calls('a')).toBe(2);
  });

  it('does not probe targets added while stopped until started', async () => {
    const h = harness([], () => true);
    h.checker.setTargets(['a']);
    await sleep(30);
    expect(h.calls('a')).toBe(0);
    h.checker.start();
    await until(() => h.calls('a') >= 2, 'a probed');
  });

  it('delays every round by random × jitterMs', async () => {
    const late = harness(['a'], () => true, { intervalMs: 1, jitterMs: 300, random: () => 1 });
    late.checker.start();
    // Timers never fire early, so nothing can have run before 300 ms.
    await sleep(100);
    expect(late.calls('a')).toBe(0);
    await late.checker.stop();
    const prompt = harness(['a'], () => true, { intervalMs: 1, jitterMs: 600_000, random: () => 0 });
    prompt.checker.start();
    await until(() => prompt.calls('a') >= 3, 'prompt probes');
  });

  it('adds the jitter to every pause, not only the first', async () => {
    const draws = [0];
    const h = harness(['a'], () => true, { intervalMs: 1, jitterMs: 300, random: () => draws.shift() ?? 1 });
    h.checker.start();
    await until(() => h.calls('a') === 1, 'first probe');
    await sleep(100);
    expect(h.calls('a')).toBe(1);
  });

  it('jitters by up to 10% of intervalMs by default', async () => {
    const h = harness(['a'], () => true, { intervalMs: 2_000, jitterMs: undefined, random: () => 1 });
    h.checker.start();
    await sleep(100);
    expect(h.calls('a')).toBe(0);
    await until(() => h.calls('a') >= 1, 'first probe after 200 ms');
  });

  it('keeps probing when onChange throws, and lets the error surface', async () => {
    const thrown: unknown[] = [];
    const original = globalThis.queueMicrotask;
    // The checker rethrows onChange's error in a microtask, out of its own way; catch it there.
    vi.stubGlobal('queueMicrotask', (cb: () => void) =>
      original(() => {
        try {
          cb();
        } catch (error) {
          thrown.push(error);
        }
      }),
    );
    try {
      const seen: boolean[] = [];
      const checker = new HealthChecker({
        targets: ['a'],
        probe: async () => seen.length % 2 === 1,
        intervalMs: 5,
        jitterMs: 0,
        healthyThreshold: 1,
        unhealthyThreshold: 1,
        onChange: (_id, healthy) => {
          seen.push(healthy);
          throw new Error(`listener bug ${seen.length}`);
        },
      });
      checkers.push(checker);
      checker.start();
      await until(() => thrown.length >= 3, 'three changes');
      expect(seen.slice(0, 3)).toEqual([false, true, false]);
      expect((thrown as Error[]).slice(0, 3).map((e) => e.message)).toEqual(['listener bug 1', 'listener bug 2', 'listener bug 3']);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('rejects nonsense options', () => {
    const probe = async () => true;
    expect(() => new HealthChecker({ targets: [], probe, intervalMs: 0 })).toThrow(RangeError);
    expect(() => new HealthChecker({ targets: [], probe, timeoutMs: Number.NaN })).toThrow(RangeError);
    expect(() => new HealthChecker({ targets: [], probe, jitterMs: -1 })).toThrow(RangeError);
    expect(() => new HealthChecker({ targets: [], probe, healthyThreshold: 0 })).toThrow(RangeError);
    expect(() => new HealthChecker({ targets: [], probe, unhealthyThreshold: 2.5 })).toThrow(RangeError);
  });
});
