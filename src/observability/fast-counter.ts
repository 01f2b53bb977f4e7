import { Counter, type Registry } from 'prom-client';

/**
 * A labelled Prometheus counter for the request path: `inc` is one map lookup (prom-client's own
 * `inc` hashes and validates the label set every time); values reach prom-client at scrape time.
 */
export class FastCounter<L extends string> {
  readonly #counts = new Map<string, { labels: Record<L, string>; value: number }>();

  readonly #labelNames: readonly L[];

  constructor(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
    this.#labelNames = labelNames;
    const counts = this.#counts;
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, value } of counts.values()) this.inc(labels, value);
      },
    });
  }

  /** Adds `by` (default 1) to the series with these label values, in `labelNames` order. */
  inc(values: readonly string[], by = 1): void {
    this.series(values).value += by;
  }

  /** The series of these label values, to increment without any lookup: `series.value++`. */
  series(values: readonly string[]): { value: number } {
    const key = values.join('\u0000');
    let entry = this.#counts.get(key);
    if (entry === undefined) {
      const labels = Object.fromEntries(this.#labelNames.map((n, i) => [n, values[i] ?? ''])) as Record<L, string>;
      entry = { labels, value: 0 };
      this.#counts.set(key, entry);
    }
    return entry;
  }
}
