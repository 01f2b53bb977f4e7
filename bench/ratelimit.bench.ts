/**
 * `npm run bench:ratelimit`: decisions per second of every rate-limit algorithm, on the memory
 * store and on the Redis store, with rate-limiter-flexible's equivalents measured in the same run
 * as the peer baseline:
 * - fixed-window ↔ RateLimiterMemory / RateLimiterRedis (its default: a counter per key whose
 *   window starts at the key's first request);
 * - token-bucket ↔ BurstyRateLimiter, which its documentation offers in place of a token bucket
 *   (two such limiters; with the limits used here only the first is ever consulted).
 * The other algorithms have no counterpart there.
 *
 * Keys cycle over BENCH_KEYS (10,000) distinct keys; limits are high enough that (almost) every
 * decision is allowed, so the common path is what is measured (the allowed share is printed).
 * Memory: one decision at a time, each awaited (and `decideSync` for ours). Redis: BENCH_IN_FLIGHT
 * (64) decisions in flight on one connection, so requests are pipelined (ioredis writes each
 * command without waiting for earlier replies) rather than each paying a round trip; its
 * auto-pipelining (BENCH_AUTOPIPELINE=1) was slower for both libraries here. Each cell runs a
 * short warm-up then BENCH_SECONDS (2) s; a pair with a peer runs BENCH_ROUNDS (3) alternating
 * rounds and keeps the medians.
 */
import { Redis } from 'ioredis';
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { MemoryRateLimitStore, ratelimitAlgorithms, type RateLimitAlgorithm, type RateLimitRule } from '../src/platform/ratelimit/index.js';
import { RedisRateLimitStore } from '../src/platform/ratelimit/redis/index.js';
import { fmt, median } from './bench.lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const KEYS = Number(process.env.BENCH_KEYS ?? 10_000);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 64);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const AUTO_PIPELINING = process.env.BENCH_AUTOPIPELINE === '1';
const PREFIX = `rl-bench:${process.pid}:`;
const log = (s: string) => process.stdout.write(`${s}\n`);

const keys = Array.from({ length: KEYS }, (_, i) => `user:${i}`);

/** High limits: a key sees a few hundred decisions per second here, far below any of them. */
const RULES: Record<RateLimitAlgorithm, RateLimitRule> = {
  'token-bucket': { algorithm: 'token-bucket', limit: 1_000_000, windowMs: 60_000 },
  'leaky-bucket': { algorithm: 'leaky-bucket', limit: 1_000_000, windowMs: 60_000, burst: 1_000_000, delay: 1_000_000 },
  'fixed-window': { algorithm: 'fixed-window', limit: 1_000_000, windowMs: 60_000 },
  // A log keeps every request for a window: a short one keeps memory in check at these rates.
  'sliding-log': { algorithm: 'sliding-log', limit: 10_000, windowMs: 1_000 },
  'sliding-counter': { algorithm: 'sliding-counter', limit: 1_000_000, windowMs: 60_000 },
  gcra: { algorithm: 'gcra', limit: 1_000_000, windowMs: 60_000, burst: 1_000_000 },
};

interface Measure {
  perSecond: number;
  allowedShare: number;
}

/** Runs `op` over the keys for `seconds` with `inFlight` concurrent loops, after a short warm-up. */
async function measure(op: (key: string) => Promise<boolean>, inFlight: number, seconds = SECONDS): Promise<Measure> {
  const run = async (s: number): Promise<Measure> => {
    let next = 0;
    let done = 0;
    let allowed = 0;
    const start = performance.now();
    const end = start + s * 1000;
    const loop = async () => {
      while (performance.now() < end) {
        // Batches of 64 between clock reads keep the timer off the profile.
        for (let j = 0; j < 64; j++) {
          if (await op(keys[next++ % KEYS]!)) allowed++;
          done++;
        }
      }
    };
    await Promise.all(Array.from({ length: inFlight }, loop));
    return { perSecond: done / ((performance.now() - start) / 1000), allowedShare: allowed / done };
  };
  await run(Math.min(0.5, seconds / 4));
  return run(seconds);
}

/** The synchronous counterpart, for `decideSync`. */
function measureSync(op: (key: string) => boolean, seconds = SECONDS): Measure {
  const run = (s: number): Measure => {
    let next = 0;
    let done = 0;
    let allowed = 0;
    const start = performance.now();
    const end = start + s * 1000;
    while (performance.now() < end) {
      for (let j = 0; j < 256; j++) {
        if (op(keys[next++ % KEYS]!)) allowed++;
        done++;
      }
    }
    return { perSecond: done / ((performance.now() - start) / 1000), allowedShare: allowed / done };
  };
  run(Math.min(0.5, seconds / 4));
  return run(seconds);
}

/** rate-limiter-flexible resolves when allowed and rejects with a RateLimiterRes when not. */
function peerOp(limiter: { consume(key: string): Promise<unknown> }): (key: string) => Promise<boolean> {
  return (key) =>
    limiter.consume(key).then(
      () => true,
      (e: unknown) => {
        if (e instanceof Error) throw e;
        return false;
      },
    );
}

interface Row {
  store: string;
  algorithm: string;
  ours: Measure;
  oursSync?: Measure;
  peer?: { name: string; m: Measure };
}

const pct = (x: number) => `${(x * 100).toFixed(x < 1 ? 2 : 0)} %`;
const cell = (m: Measure) => `${fmt(m.perSecond)}/s (${pct(m.allowedShare)} allowed)`;

async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  for (let i = 0; i < 100_000; i++) {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (found.length > 0) await redis.del(...found);
    cursor = next;
    if (cursor === '0') return;
  }
}

/** The median of each figure over runs (the least allowed share). */
function medianOf(runs: Measure[]): Measure {
  return { perSecond: median(runs.map((m) => m.perSecond)), allowedShare: Math.min(...runs.map((m) => m.allowedShare)) };
}

/**
 * Ours alone: one run. Ours against a peer: ROUNDS rounds alternating the two, medians kept, so
 * that whatever else the machine does weighs on both alike.
 */
async function compare(store: string, algorithm: string, ours: () => Promise<Measure>, peer?: { name: string; run: () => Promise<Measure> }): Promise<Row> {
  const oursRuns: Measure[] = [];
  const peerRuns: Measure[] = [];
  for (let round = 1; round <= (peer ? ROUNDS : 1); round++) {
    oursRuns.push(await ours());
    if (peer) peerRuns.push(await peer.run());
    const last = `ours ${cell(oursRuns.at(-1)!)}${peer ? `; ${peer.name} ${cell(peerRuns.at(-1)!)}` : ''}`;
    log(`  ${algorithm.padEnd(16)} ${peer ? `round ${round}/${ROUNDS} ` : ''}${last}`);
  }
  return { store, algorithm, ours: medianOf(oursRuns), ...(peer ? { peer: { name: peer.name, m: medianOf(peerRuns) } } : {}) };
}

async function main(): Promise<void> {
  const host = new URL(REDIS_URL).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) throw new Error(`refusing a non-loopback Redis (${host}): this benchmark only targets this machine`);
  log(`rate-limit benchmark: ${KEYS} keys, ${SECONDS}s per cell (${ROUNDS} alternating rounds where there is a peer, medians), Redis at ${REDIS_URL} with ${IN_FLIGHT} in flight`);
  const rows: Row[] = [];

  log('\nmemory store (one decision at a time)');
  for (const algorithm of ratelimitAlgorithms) {
    const rule = RULES[algorithm];
    const ours = () => {
      const store = new MemoryRateLimitStore();
      return measure(async (key) => (await store.decide(rule, key)).allowed, 1);
    };
    let peer: { name: string; run: () => Promise<Measure> } | undefined;
    if (algorithm === 'fixed-window') {
      peer = { name: 'RateLimiterMemory', run: () => measure(peerOp(new RateLimiterMemory({ points: 1_000_000, duration: 60 })), 1) };
    } else if (algorithm === 'token-bucket') {
      const bursty = () => new BurstyRateLimiter(new RateLimiterMemory({ points: 1_000_000, duration: 60 }), new RateLimiterMemory({ keyPrefix: 'burst', points: 1_000_000, duration: 600 }));
      peer = { name: 'BurstyRateLimiter (memory)', run: () => measure(peerOp(bursty()), 1) };
    }
    const row = await compare('memory', algorithm, ours, peer);
    const syncStore = new MemoryRateLimitStore();
    row.oursSync = measureSync((key) => syncStore.decideSync(rule, key).allowed);
    log(`  ${algorithm.padEnd(16)} decideSync ${cell(row.oursSync)}`);
    rows.push(row);
  }

  log(`\nRedis store (${IN_FLIGHT} in flight on one connection each${AUTO_PIPELINING ? ', ioredis auto-pipelining' : ''})`);
  const admin = new Redis(REDIS_URL);
  const connect = () => new Redis(REDIS_URL, { enableAutoPipelining: AUTO_PIPELINING });
  /** Measures with a fresh connection, closed afterwards. */
  const onConnection = async (make: (c: Redis) => (key: string) => Promise<boolean>): Promise<Measure> => {
    const c = connect();
    try {
      return await measure(make(c), IN_FLIGHT);
    } finally {
      await c.quit();
    }
  };
  try {
    for (const algorithm of ratelimitAlgorithms) {
      const rule = RULES[algorithm];
      const ours = () =>
        onConnection((c) => {
          const store = new RedisRateLimitStore(c, { prefix: `${PREFIX}ours:` });
          return async (key) => (await store.decide(rule, key)).allowed;
        });
      let peer: { name: string; run: () => Promise<Measure> } | undefined;
      if (algorithm === 'fixed-window') {
        peer = { name: 'RateLimiterRedis', run: () => onConnection((c) => peerOp(new RateLimiterRedis({ storeClient: c, keyPrefix: `${PREFIX}rlflx`, points: 1_000_000, duration: 60 }))) };
      } else if (algorithm === 'token-bucket') {
        const bursty = (c: Redis) => new BurstyRateLimiter(new RateLimiterRedis({ storeClient: c, keyPrefix: `${PREFIX}rlflx-tb`, points: 1_000_000, duration: 60 }), new RateLimiterRedis({ storeClient: c, keyPrefix: `${PREFIX}rlflx-burst`, points: 1_000_000, duration: 600 }));
        peer = { name: 'BurstyRateLimiter (Redis)', run: () => onConnection((c) => peerOp(bursty(c))) };
      }
      rows.push(await compare('redis', algorithm, ours, peer));
    }
  } finally {
    await deleteKeys(admin, `${PREFIX}*`);
    await admin.quit();
  }

  log('');
  log('| store | algorithm | ours: decide/s | ours: decideSync/s | peer (rate-limiter-flexible) | peer/s | ours/peer |');
  log('|---|---|---:|---:|---|---:|---:|');
  for (const r of rows) {
    const ratio = r.peer ? `${(r.ours.perSecond / r.peer.m.perSecond).toFixed(2)}×` : '—';
    log(`| ${r.store} | ${r.algorithm} | ${fmt(r.ours.perSecond)} | ${r.oursSync ? fmt(r.oursSync.perSecond) : '—'} | ${r.peer?.name ?? '—'} | ${r.peer ? fmt(r.peer.m.perSecond) : '—'} | ${ratio} |`);
  }
  const minShare = Math.min(...rows.flatMap((r) => [r.ours.allowedShare, r.oursSync?.allowedShare ?? 1, r.peer?.m.allowedShare ?? 1]));
  log(`\nEvery cell allowed at least ${pct(minShare)} of its decisions.`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
