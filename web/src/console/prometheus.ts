/**
 * A parser of the Prometheus text exposition format (version 0.0.4, what prom-client and our own
 * `HttpMetrics` write), and the arithmetic the console needs on top of it: counter increases that
 * survive a restart, and `histogram_quantile` as Prometheus computes it.
 *
 * No DOM and no imports: the same module runs in the browser and in the unit tests under Node.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name: `x_bucket`, `x_sum` and `x_count` for a histogram `x`. */
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch, when the line carries one. */
  timestamp?: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

export interface ParseError {
  /** 1-based line number. */
  line: number;
  reason: string;
}

export interface Exposition {
  /** By family name. A family declared twice (two registries in one scrape) is merged into one. */
  families: Map<string, MetricFamily>;
  /** Lines that could not be read; the others still count. */
  errors: ParseError[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TYPES = new Set<string>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
/** Suffixes whose samples belong to the family of the base name, by the family's declared type. */
const SUFFIXES: Record<string, readonly string[]> = {
  histogram: ['_bucket', '_sum', '_count', '_created'],
  summary: ['_sum', '_count', '_created'],
  counter: ['_created'],
};

class LineError extends Error {}

/** A sample value or `le`: decimal or exponent notation, `NaN`, `+Inf`, `-Inf` (case-insensitive, as Go's ParseFloat). */
export function parseValue(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (lower === '+inf' || lower === 'inf' || lower === '+infinity' || lower === 'infinity') return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  if (!NUMBER.test(text)) throw new LineError(`not a number: "${text}"`);
  return Number(text);
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** Reads `{name="value",...}` from `line` at `start` (the `{`); answers the labels and the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  const skipSpaces = () => {
    while (line[i] === ' ' || line[i] === '\t') i++;
  };
  for (;;) {
    skipSpaces();
    if (line[i] === '}') return { labels, end: i + 1 };
    const name = LABEL_NAME.exec(line.slice(i))?.[0];
    if (name === undefined) throw new LineError(`bad label name at column ${i + 1}`);
    i += name.length;
    skipSpaces();
    if (line[i] !== '=') throw new LineError(`expected "=" after label ${name}`);
    i++;
    skipSpaces();
    if (line[i] !== '"') throw new LineError(`expected a quoted value for label ${name}`);
    i++;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) throw new LineError(`unterminated value of label ${name}`);
      if (c === '"') break;
      if (c === '\\') {
        const next = line[i + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else throw new LineError(`bad escape "\\${next ?? ''}" in label ${name}`);
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    i++;
    if (Object.hasOwn(labels, name)) throw new LineError(`label ${name} given twice`);
    labels[name] = value;
    skipSpaces();
    if (line[i] === ',') i++;
    else if (line[i] !== '}') throw new LineError(`expected "," or "}" after label ${name}`);
  }
}

/** Parses the text exposition format. Comments other than HELP and TYPE are ignored, as are blank lines. */
export function parsePrometheus(text: string): Exposition {
  const families = new Map<string, MetricFamily>();
  const errors: ParseError[] = [];
  const family = (name: string): MetricFamily => {
    let f = families.get(name);
    if (f === undefined) {
      f = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, f);
    }
    return f;
  };
  /** The family a sample belongs to: its own name, or a histogram's/summary's base name. */
  const owner = (sampleName: string): MetricFamily => {
    const own = families.get(sampleName);
    if (own !== undefined) return own;
    for (const [type, suffixes] of Object.entries(SUFFIXES)) {
      for (const suffix of suffixes) {
        if (!sampleName.endsWith(suffix)) continue;
        const base = families.get(sampleName.slice(0, -suffix.length));
        if (base?.type === type) return base;
      }
    }
    return family(sampleName);
  };

  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '') return;
    try {
      if (line.startsWith('#')) {
        const m = /^#\s*(HELP|TYPE)\s+([^\s]+)(?:\s+(.*))?$/.exec(line);
        if (m === null) return; // an ordinary comment
        const [, keyword, name, rest = ''] = m;
        if (!NAME.test(name!) || NAME.exec(name!)![0] !== name) throw new LineError(`bad metric name "${name}"`);
        if (keyword === 'HELP') {
          const f = family(name!);
          if (f.help === '') f.help = unescapeHelp(rest);
        } else {
          const type = rest.trim().toLowerCase();
          if (!TYPES.has(type)) throw new LineError(`unknown type "${rest}"`);
          family(name!).type = type as MetricType;
        }
        return;
      }
      const name = NAME.exec(line)?.[0];
      if (name === undefined) throw new LineError('a sample must start with a metric name');
      let i = name.length;
      let labels: Record<string, string> = {};
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (line[i] === '{') ({ labels, end: i } = parseLabels(line, i));
      const fields = line.slice(i).trim().split(/\s+/);
      if (fields.length === 0 || fields[0] === '') throw new LineError(`no value for ${name}`);
      if (fields.length > 2) throw new LineError(`unexpected text after the value of ${name}`);
      const sample: Sample = { name, labels, value: parseValue(fields[0]!) };
      if (fields[1] !== undefined) {
        if (!/^-?\d+$/.test(fields[1])) throw new LineError(`bad timestamp "${fields[1]}"`);
        sample.timestamp = Number(fields[1]);
      }
      owner(name).samples.push(sample);
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      errors.push({ line: index + 1, reason: error.message });
    }
  });
  return { families, errors };
}

/** A stable key for a label set (sorted), leaving out the names given. */
export function labelKey(labels: Record<string, string>, omit: readonly string[] = []): string {
  return Object.keys(labels)
    .filter((k) => !omit.includes(k))
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');
}

/** One cumulative bucket: observations at most `le`. */
export interface Bucket {
  le: number;
  count: number;
}

export interface Histogram {
  /** Sorted by `le`; the last one is `+Inf` when the exposition has it. */
  buckets: Bucket[];
  sum: number;
  count: number;
}

export interface HistogramSeries extends Histogram {
  /** The series' labels without `le`. */
  labels: Record<string, string>;
}

/** The histograms of a family, one per label set (without `le`). */
export function histograms(family: MetricFamily | undefined): HistogramSeries[] {
  if (family === undefined) return [];
  const byKey = new Map<string, HistogramSeries>();
  for (const s of family.samples) {
    const { le, ...labels } = s.labels;
    const key = labelKey(labels);
    let h = byKey.get(key);
    if (h === undefined) {
      h = { labels, buckets: [], sum: 0, count: 0 };
      byKey.set(key, h);
    }
    if (s.name === `${family.name}_bucket` && le !== undefined) {
      const bound = parseValueOrNaN(le);
      if (!Number.isNaN(bound)) h.buckets.push({ le: bound, count: s.value });
    } else if (s.name === `${family.name}_sum`) h.sum += s.value;
    else if (s.name === `${family.name}_count`) h.count += s.value;
  }
  for (const h of byKey.values()) h.buckets.sort((a, b) => a.le - b.le);
  return [...byKey.values()];
}

function parseValueOrNaN(text: string): number {
  try {
    return parseValue(text);
  } catch {
    return Number.NaN;
  }
}

/** How much a counter grew from `before` to `now`; a counter that went down was reset (a restart), so all of `now` is new. */
export function counterIncrease(now: number, before: number | undefined): number {
  if (before === undefined || now < before) return now;
  return now - before;
}

/**
 * A histogram's increase from `before` to `now`, bucket by bucket (as `increase(x_bucket[w])`):
 * a smaller total count means the process restarted, and then all of `now` is new.
 */
export function histogramIncrease(now: Histogram, before: Histogram | undefined): Histogram {
  if (before === undefined || now.count < before.count) return now;
  const previous = new Map(before.buckets.map((b) => [b.le, b.count]));
  return {
    buckets: now.buckets.map((b) => ({ le: b.le, count: Math.max(0, b.count - (previous.get(b.le) ?? 0)) })),
    sum: now.sum - before.sum,
    count: now.count - before.count,
  };
}

/** Adds histograms with the same bucket bounds (several routes into one). */
export function addHistograms(list: readonly Histogram[]): Histogram {
  const byLe = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const h of list) {
    for (const b of h.buckets) byLe.set(b.le, (byLe.get(b.le) ?? 0) + b.count);
    sum += h.sum;
    count += h.count;
  }
  return { buckets: [...byLe].map(([le, n]) => ({ le, count: n })).sort((a, b) => a.le - b.le), sum, count };
}

/**
 * The φ-quantile of the observations counted by cumulative `buckets`, as Prometheus'
 * `histogram_quantile` computes it: find the bucket the rank falls in and interpolate linearly
 * within it (from 0 for the first bucket). A rank in the `+Inf` bucket answers the highest finite
 * bound. NaN without observations or without a `+Inf` bucket; -Inf/+Inf for φ below 0/above 1.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  if (sorted.length < 2 || sorted[sorted.length - 1]!.le !== Number.POSITIVE_INFINITY) return Number.NaN;
  // Counts that go down (a scrape between two bucket increments) are raised, as Prometheus does.
  let max = 0;
  const counts = sorted.map((b) => (max = Math.max(max, b.count)));
  const total = counts[counts.length - 1]!;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let i = counts.findIndex((c) => c >= rank);
  if (i === -1) i = counts.length - 1;
  if (i === sorted.length - 1) return sorted[sorted.length - 2]!.le;
  if (i === 0 && sorted[0]!.le <= 0) return sorted[0]!.le;
  const start = i === 0 ? 0 : sorted[i - 1]!.le;
  const end = sorted[i]!.le;
  const below = i === 0 ? 0 : counts[i - 1]!;
  const inBucket = counts[i]! - below;
  if (inBucket === 0) return start;
  return start + (end - start) * ((rank - below) / inBucket);
}
