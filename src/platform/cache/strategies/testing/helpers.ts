import type { CachePort } from '../../cache.port.js';
import type { FlushTimer } from '../write-behind.js';
import { until } from '../../../../../test/helpers/poll.js';

/** A promise the test opens when it chooses. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Polls `check` until it holds, for `timeoutMs` at most; then fails with `what`. */
/** Polls `check` until it holds (the test kit's one polling helper), naming `what` when it never does. */
export function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 5_000): Promise<void> {
  return until(check, what, { timeoutMs });
}

/**
 * The source of truth the strategies sit in front of: a map that counts loads and records every
 * write in order, and fails the next `failWrites` writes when asked to.
 */
export class TestSource<V> {
  readonly data = new Map<string, V>();
  /** Every write that took effect, in order (a batch counts its entries in batch order). */
  readonly writes: [string, V][] = [];
  loads = 0;
  batches = 0;
  failWrites = 0;
  /** Awaited by every batch before it takes effect or fails (a slow source: writes go on meanwhile). */
  beforeBatch: (() => Promise<void>) | undefined;
  /** Awaited by every load before it reads (a load holds what it read while the test waits). */
  beforeLoad: ((key: string) => Promise<void>) | undefined;

  load = async (key: string): Promise<V | null> => {
    this.loads++;
    const value = this.data.get(key) ?? null;
    await this.beforeLoad?.(key);
    return value;
  };

  write = async (key: string, value: V): Promise<void> => {
    this.#maybeFail();
    this.writes.push([key, value]);
    this.data.set(key, value);
  };

  writeBatch = async (entries: readonly (readonly [string, V])[]): Promise<void> => {
    await this.beforeBatch?.();
    this.#maybeFail();
    this.batches++;
    for (const [key, value] of entries) {
      this.writes.push([key, value]);
      this.data.set(key, value);
    }
  };

  #maybeFail(): void {
    if (this.failWrites > 0) {
      this.failWrites--;
      throw new Error('source unavailable');
    }
  }
}

/** A flush timer that ticks only when the test says so. */
export class ManualTimer implements FlushTimer {
  readonly #ticks = new Set<() => void>();

  start(tick: () => void): () => void {
    this.#ticks.add(tick);
    return () => this.#ticks.delete(tick);
  }

  tick(): void {
    for (const tick of this.#ticks) tick();
  }

  get running(): number {
    return this.#ticks.size;
  }
}

/** A cache whose writes fail while `failing` is set: the port's failure, not a server's mock. */
export class FlakyCache implements CachePort {
  failing = false;
  readonly #inner: CachePort;

  constructor(inner: CachePort) {
    this.#inner = inner;
  }

  get<T>(key: string): Promise<T | undefined> {
    return this.#inner.get<T>(key);
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    if (this.failing) throw new Error('cache unavailable');
    await this.#inner.set(key, value, ttlMs);
  }

  delete(key: string): Promise<void> {
    return this.#inner.delete(key);
  }

  ping(): Promise<void> {
    return this.#inner.ping();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
