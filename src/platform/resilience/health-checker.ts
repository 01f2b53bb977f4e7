export interface HealthCheckerOptions {
  /** The ids of the targets to probe (duplicates count once); see also setTargets. */
  targets: readonly string[];
  /**
   * Asks one target whether it is healthy. It should give up when `signal` aborts (its timeout,
   * or the checker stopping); a rejection counts as unhealthy, like `false`.
   */
  probe: (id: string, signal: AbortSignal) => Promise<boolean>;
  /** Pause between the end of a target's probe and the start of its next (default 5 s). */
  intervalMs?: number;
  /** A probe that has not answered by then is aborted and counts as a failure (default 2 s). */
  timeoutMs?: number;
  /** Consecutive successes that make an unhealthy target healthy (default 2). */
  healthyThreshold?: number;
  /** Consecutive failures that make a healthy target unhealthy (default 3). */
  unhealthyThreshold?: number;
  /**
   * Up to this much random delay is added to every pause, and to the first (default 10% of
   * `intervalMs`), so that gateways started together do not probe in lockstep.
   */
  jitterMs?: number;
  /**
   * Whether a new target counts as healthy before any probe (default true). Envoy starts hosts
   * unhealthy, which is safer against a bad deploy but means a freshly configured pool serves
   * nothing until every target has passed `healthyThreshold` probes. A gateway usually lists
   * servers that are meant to be up, and its breakers catch the ones that are not, so serving at
   * once is the better default; pass false where a new target must prove itself first.
   */
  initiallyHealthy?: boolean;
  /** Told when a target turns healthy or unhealthy (not when it is added or removed). */
  onChange?: (id: string, healthy: boolean) => void;
  /** Uniform in [0, 1), for the jitter (default Math.random). */
  random?: () => number;
}

/** One target's health as last probed. */
export interface TargetHealth {
  healthy: boolean;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
}

interface Target extends TargetHealth {
  readonly id: string;
  removed: boolean;
  timer: NodeJS.Timeout | undefined;
  /** Aborts the probe of the round in progress. */
  controller: AbortController | undefined;
  /** The probe call until it settles, which may be after its round gave up on it. */
  probe: Promise<boolean> | undefined;
}

/**
 * Active health checking of a pool: every target is probed on its own timer, one probe at a time,
 * and turns unhealthy after `unhealthyThreshold` failures in a row, healthy again after
 * `healthyThreshold` successes in a row. A slow target delays only its own probes.
 */
export class HealthChecker {
  readonly #probe: HealthCheckerOptions['probe'];
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #healthyThreshold: number;
  readonly #unhealthyThreshold: number;
  readonly #jitterMs: number;
  readonly #initiallyHealthy: boolean;
  readonly #onChange: HealthCheckerOptions['onChange'];
  readonly #random: () => number;
  readonly #targets = new Map<string, Target>();
  readonly #rounds = new Set<Promise<void>>();
  #running = false;
  /** Bumped by every start, so a round from an earlier run never schedules another. */
  #run = 0;

  constructor(options: HealthCheckerOptions) {
    this.#probe = options.probe;
    this.#intervalMs = options.intervalMs ?? 5_000;
    this.#timeoutMs = options.timeoutMs ?? 2_000;
    this.#healthyThreshold = options.healthyThreshold ?? 2;
    this.#unhealthyThreshold = options.unhealthyThreshold ?? 3;
    this.#jitterMs = options.jitterMs ?? this.#intervalMs / 10;
    this.#initiallyHealthy = options.initiallyHealthy ?? true;
    this.#onChange = options.onChange;
    this.#random = options.random ?? Math.random;
    for (const [name, value] of [['intervalMs', this.#intervalMs], ['timeoutMs', this.#timeoutMs]] as const) {
      if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a positive number`);
    }
    if (!(this.#jitterMs >= 0) || !Number.isFinite(this.#jitterMs)) throw new RangeError('jitterMs must be a finite number >= 0');
    for (const [name, value] of [['healthyThreshold', this.#healthyThreshold], ['unhealthyThreshold', this.#unhealthyThreshold]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
    }
    this.setTargets(options.targets);
  }

  /** Starts probing every target (the first probes within `jitterMs`). Does nothing if started. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#run++;
    for (const target of this.#targets.values()) this.#schedule(target, this.#jitter());
  }

  /** Stops the timers and aborts the probes in flight; resolves once their rounds have ended. */
  async stop(): Promise<void> {
    this.#running = false;
    for (const target of this.#targets.values()) this.#halt(target);
    await Promise.all(this.#rounds);
  }

  /**
   * Replaces the pool. Targets kept keep their health; new ones start as `initiallyHealthy` and
   * are probed at once if the checker runs; removed ones stop being probed and are forgotten.
   */
  setTargets(ids: readonly string[]): void {
    const wanted = new Set(ids);
    for (const [id, target] of this.#targets) {
      if (wanted.has(id)) continue;
      target.removed = true;
      this.#halt(target);
      this.#targets.delete(id);
    }
    for (const id of wanted) {
      if (this.#targets.has(id)) continue;
      const healthy = this.#initiallyHealthy;
      const target: Target = { id, healthy, consecutiveSuccesses: 0, consecutiveFailures: 0, removed: false, timer: undefined, controller: undefined, probe: undefined };
      this.#targets.set(id, target);
      if (this.#running) this.#schedule(target, this.#jitter());
    }
  }

  /** The health of `id`, or undefined when it is not in the pool. */
  state(id: string): TargetHealth | undefined {
    const t = this.#targets.get(id);
    return t && { healthy: t.healthy, consecutiveSuccesses: t.consecutiveSuccesses, consecutiveFailures: t.consecutiveFailures };
  }

  /** The healthy targets, in the order they joined the pool. */
  healthyTargets(): string[] {
    return [...this.#targets.values()].filter((t) => t.healthy).map((t) => t.id);
  }

  #jitter(): number {
    return this.#random() * this.#jitterMs;
  }

  #halt(target: Target): void {
    clearTimeout(target.timer);
    target.timer = undefined;
    target.controller?.abort();
  }

  #schedule(target: Target, delayMs: number): void {
    const run = this.#run;
    target.timer = setTimeout(() => {
      target.timer = undefined;
      const round: Promise<void> = this.#round(target, run).finally(() => this.#rounds.delete(round));
      this.#rounds.add(round);
    }, delayMs);
    // Health checks alone should not keep the process alive.
    target.timer.unref();
  }

  async #round(target: Target, run: number): Promise<void> {
    let healthy = false;
    // A probe that ignored its abort is still running: never start a second one beside it; the
    // target has not answered in time again, which is a failure.
    if (target.probe === undefined) {
      const controller = new AbortController();
      target.controller = controller;
      const timer = setTimeout(() => controller.abort(new DOMException(`health probe timed out after ${this.#timeoutMs} ms`, 'TimeoutError')), this.#timeoutMs);
      timer.unref();
      const gaveUp = new Promise<boolean>((resolve) => controller.signal.addEventListener('abort', () => resolve(false), { once: true }));
      const probe = this.#call(target.id, controller.signal);
      target.probe = probe;
      void probe.then(() => {
        if (target.probe === probe) target.probe = undefined;
      });
      healthy = await Promise.race([probe, gaveUp]);
      clearTimeout(timer);
      if (target.controller === controller) target.controller = undefined;
      // Stopped or removed: the answer, if any, no longer counts, and is no fault of the target.
      if (controller.signal.aborted && (controller.signal.reason as Error | undefined)?.name !== 'TimeoutError') return;
    }
    this.#record(target, healthy);
    // onChange may have stopped the checker or removed this target (or stop and start may have
    // come between): only the current run's loop of a current target goes on.
    if (this.#running && run === this.#run && !target.removed) this.#schedule(target, this.#intervalMs + this.#jitter());
  }

  /** The probe's answer as a promise that never rejects: true only for a plain `true`. */
  #call(id: string, signal: AbortSignal): Promise<boolean> {
    try {
      return this.#probe(id, signal).then(
        (ok) => ok === true,
        () => false,
      );
    } catch {
      return Promise.resolve(false);
    }
  }

  #record(target: Target, healthy: boolean): void {
    if (healthy) {
      target.consecutiveSuccesses++;
      target.consecutiveFailures = 0;
      if (!target.healthy && target.consecutiveSuccesses >= this.#healthyThreshold) this.#change(target, true);
    } else {
      target.consecutiveFailures++;
      target.consecutiveSuccesses = 0;
      if (target.healthy && target.consecutiveFailures >= this.#unhealthyThreshold) this.#change(target, false);
    }
  }

  #change(target: Target, healthy: boolean): void {
    target.healthy = healthy;
    try {
      this.#onChange?.(target.id, healthy);
    } catch (error) {
      // Thrown where nothing can catch it, the error would end this target's probing for good.
      // Probing goes on; the error surfaces as an uncaught exception, as a throwing listener's does.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
