/**
 * `npx tsx bench/sharding.bench.ts` (`npm run bench:sharding`): what adding a shard costs under
 * consistent hashing, and how fast a key is routed.
 *
 * Over BENCH_KEYS (1,000,000) user ids (decimal text, as `HashStrategy` hashes them), for N = 4 → 5
 * and 8 → 9 shards named `shard-0`...:
 * - key movement: the share of keys whose shard changes (ideal 1/(N+1)), and whether every moved
 *   key went to the new shard (it must, for consistent hashing);
 * - load spread on the N+1 ring: the fullest shard over the mean, and the standard deviation over
 *   the mean;
 * for our `HashStrategy` (our HashRing: murmur3, `vnodes` points per shard) at 40, 160 and 320
 * points per shard, for the npm `hashring` package (ketama: md5, 4 points per "vnode", so
 * 'vnode count' 10, 40 (its default) and 80 give the same 40, 160 and 320 points), and for the naive
 * `murmur3(key) mod N`, which moves about N/(N+1) of the keys.
 *
 * Lookups per second, ours (`HashStrategy.shardOf`) against `hashring.get` on the same 160-point
 * rings of 8 shards, same keys, BENCH_ROUNDS (3) alternating rounds of BENCH_SECONDS (1) s, medians:
 * once cycling over all the distinct keys, once over a hot set of 1,000 keys, where hashring's
 * built-in 5,000-entry LRU cache answers most lookups (ours has no cache).
 */
import { createRequire } from 'node:module';
import { murmur3 } from '../src/platform/balancer/index.js';
import { HashStrategy } from '../src/platform/sharding/index.js';
import { fmt, median } from './bench.lib.js';

const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const log = (s: string) => process.stdout.write(`${s}\n`);

/** The slice of the `hashring` package used here (it ships no types). */
interface KetamaRing {
  get(key: string): string | undefined;
}
type KetamaRingConstructor = new (servers: string[], algorithm?: string, options?: Record<string, number | string>) => KetamaRing;
const KetamaHashRing = createRequire(import.meta.url)('hashring') as KetamaRingConstructor;

/** A way to route keys to shard names. */
interface Router {
  readonly label: string;
  readonly points: string;
  of(shards: string[]): (key: string) => string;
}

const POINTS = [40, 160, 320] as const;
const routers: Router[] = [
  ...POINTS.map((vnodes) => ({
    label: 'ours (HashStrategy)',
    points: String(vnodes),
    of: (shards: string[]) => {
      const strategy = HashStrategy.of(shards, { vnodes });
      return (key: string) => strategy.shardOf(key);
    },
  })),
  ...POINTS.map((points) => ({
    label: 'npm hashring',
    points: String(points),
    of: (shards: string[]) => {
      const ring = new KetamaHashRing(shards, 'md5', { 'vnode count': points / 4 });
      return (key: string) => ring.get(key)!;
    },
  })),
  {
    label: 'murmur3 mod N',
    points: '-',
    of: (shards: string[]) => (key: string) => shards[murmur3(key) % shards.length]!,
  },
];

const keys = Array.from({ length: KEYS }, (_, i) => String(i + 1));
const names = (n: number) => Array.from({ length: n }, (_, i) => `shard-${i}`);

interface Movement {
  moved: number;
  movedElsewhere: number;
  maxOverMean: number;
  cv: number;
}

function movement(router: Router, n: number): Movement {
  const before = router.of(names(n));
  const afterNames = names(n + 1);
  const after = router.of(afterNames);
  const added = afterNames[n]!;
  const load = new Map<string, number>(afterNames.map((s) => [s, 0]));
  let moved = 0;
  let movedElsewhere = 0;
  for (const key of keys) {
    const was = before(key);
    const now = after(key);
    load.set(now, load.get(now)! + 1);
    if (was === now) continue;
    moved++;
    if (now !== added) movedElsewhere++;
  }
  const counts = [...load.values()];
  const mean = keys.length / counts.length;
  const variance = counts.reduce((a, c) => a + (c - mean) ** 2, 0) / counts.length;
  return { moved: moved / keys.length, movedElsewhere, maxOverMean: Math.max(...counts) / mean, cv: Math.sqrt(variance) / mean };
}

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)} %`;

log(`# Sharding: consistent hashing (${fmt(KEYS)} keys, Node ${process.version})`);
log('');
log('## Keys moved by adding one shard, and load spread on the bigger ring');
log('');
log('| shards | router | points/shard | keys moved | ideal 1/(N+1) | moved/ideal | moved not to the new shard | max/mean | stddev/mean |');
log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
for (const n of [4, 8]) {
  for (const router of routers) {
    const m = movement(router, n);
    const ideal = 1 / (n + 1);
    log(`| ${n} → ${n + 1} | ${router.label} | ${router.points} | ${pct(m.moved)} | ${pct(ideal)} | ${m.moved / ideal < 10 ? (m.moved / ideal).toFixed(2) : (m.moved / ideal).toFixed(1)} | ${fmt(m.movedElsewhere)} | ${m.maxOverMean.toFixed(3)} | ${pct(m.cv)} |`);
  }
}

/** Lookups per second of `lookup` cycling over `set`, for SECONDS after a short warm-up. */
function rate(lookup: (key: string) => string, set: readonly string[], seconds: number): number {
  let sink = 0;
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let i = 0;
  while (performance.now() < end) {
    // Check the clock every 4,096 lookups, not on every one.
    for (let j = 0; j < 4096; j++) {
      sink += lookup(set[i]!).length;
      if (++i === set.length) i = 0;
    }
    done += 4096;
  }
  if (sink < 0) log('impossible');
  return done / ((performance.now() - start) / 1000);
}

const shards = names(8);
const ours = routers[1]!.of(shards);
const theirs = routers[4]!.of(shards);
log('');
log(`## Lookups per second, 8 shards × 160 points (median of ${ROUNDS} alternating rounds of ${SECONDS} s)`);
log('');
log('| keys | npm hashring `get` (baseline) | ours `HashStrategy.shardOf` | ours / hashring |');
log('|---|---:|---:|---:|');
const hot = keys.slice(0, 1_000);
for (const [label, set] of [[`${fmt(KEYS)} distinct, cycled`, keys], ['1,000 hot keys (hashring LRU hits)', hot]] as const) {
  rate(ours, set, 0.2);
  rate(theirs, set, 0.2);
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    b.push(rate(theirs, set, SECONDS));
    a.push(rate(ours, set, SECONDS));
  }
  log(`| ${label} | ${fmt(median(b))} | ${fmt(median(a))} | ${(median(a) / median(b)).toFixed(2)}× |`);
}
