/**
 * A latency histogram that the load-client processes fill and the coordinator merges: fixed
 * buckets (10 µs wide below 100 ms, 1 ms wide up to 60 s, then one overflow bucket), so that
 * millions of deliveries cost a few counters each and merging is adding arrays. Quantiles are
 * read at the upper edge of their bucket (never flattering by more than a bucket's width).
 */
const FINE = 10_000; // 0..100 ms by 10 µs
const COARSE = 59_900; // 100 ms..60 s by 1 ms
export const BUCKETS = FINE + COARSE + 1;

/** An empty histogram (counts per bucket). */
export const emptyHistogram = (): number[] => new Array<number>(BUCKETS).fill(0);

function bucketOf(ms: number): number {
  if (!(ms >= 0)) return 0; // clocks of two processes can disagree by a few µs
  if (ms < 100) return Math.floor(ms * 100);
  if (ms < 60_000) return FINE + Math.floor(ms - 100);
  return BUCKETS - 1;
}

function upperEdge(bucket: number): number {
  if (bucket < FINE) return (bucket + 1) / 100;
  if (bucket < BUCKETS - 1) return 100 + (bucket - FINE + 1);
  return Number.POSITIVE_INFINITY;
}

/** Counts one observation of `ms`. */
export function record(h: number[], ms: number): void {
  h[bucketOf(ms)]!++;
}

/** Adds `from` into `into`. */
export function merge(into: number[], from: readonly number[]): void {
  for (let i = 0; i < BUCKETS; i++) into[i]! += from[i] ?? 0;
}

/** How many observations `h` holds. */
export const total = (h: readonly number[]): number => h.reduce((a, b) => a + b, 0);

/** The q-quantile (0..1) in ms, NaN when empty. */
export function quantile(h: readonly number[], q: number): number {
  const n = total(h);
  if (n === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += h[i]!;
    if (seen >= rank) return upperEdge(i);
  }
  return Number.POSITIVE_INFINITY;
}

/** The largest observation's bucket edge, NaN when empty. */
export function max(h: readonly number[]): number {
  for (let i = BUCKETS - 1; i >= 0; i--) if (h[i]! > 0) return upperEdge(i);
  return Number.NaN;
}

/** Only the non-empty buckets, for sending over IPC: [bucket, count] pairs. */
export function compact(h: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < BUCKETS; i++) if (h[i]! > 0) out.push([i, h[i]!]);
  return out;
}

/** A histogram from `compact`'s pairs. */
export function expand(pairs: readonly [number, number][]): number[] {
  const h = emptyHistogram();
  for (const [i, n] of pairs) h[i] = n;
  return h;
}
