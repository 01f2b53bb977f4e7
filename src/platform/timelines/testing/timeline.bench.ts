/**
 * `npx tsx src/platform/timelines/testing/timeline.bench.ts`: fan-out deliveries per second, one
 * new entry pushed into a batch of BENCH_BATCH (1,000) timelines that are already full
 * (BENCH_ENTRIES = 800 entries each), on the memory store and the Redis store, against the feed
 * benchmark's need of 1.16M deliveries/s (printed as the baseline, with each figure's ratio).
 * Then the realistic case: BENCH_TIMELINES (100,000) timelines of BENCH_RANDOM_ENTRIES (200)
 * entries, each tweet pushed to BENCH_FOLLOWERS (200) followers drawn at random among them, so
 * that nearly every delivery misses the CPU caches (the 1,000 hot timelines above stay in them).
 *
 * Memory: `pushSync` and the async `push`, one batch at a time, plus single-timeline inserts
 * (one entry into one timeline per call). Redis: one batch script in flight, then BENCH_IN_FLIGHT
 * (4) on one connection so that round trips overlap; the server's own time per script comes from
 * INFO commandstats (read over a bare socket: only redis/ folders import ioredis), which says how
 * much of a delivery is Redis executing Lua and how much is the client and the wire. Redis keys
 * use a per-run prefix and are deleted at the end (a DEL per timeline and the count key).
 */
import { Socket } from 'node:net';
import { MemoryTimelineStore, type TimelineEntry, type TimelineStore } from '../index.js';
import { RedisTimelineStore } from '../redis/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const BATCH = Number(process.env.BENCH_BATCH ?? 1_000);
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 800);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 4);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TIMELINES = Number(process.env.BENCH_TIMELINES ?? 100_000);
const RANDOM_ENTRIES = Number(process.env.BENCH_RANDOM_ENTRIES ?? 200);
const FOLLOWERS = Number(process.env.BENCH_FOLLOWERS ?? 200);
const TARGET = 1_160_000;
const log = (s: string) => process.stdout.write(`${s}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const users = Array.from({ length: BATCH }, (_, i) => 10_000_000n + BigInt(i));
// Snowflake-sized ids (above 2^53), increasing: each push is the newest tweet, the fan-out common
// case. Even ids only, so that late tweets (odd ids) can land between them.
let nextTweet = 1n << 60n;
const newest = (): TimelineEntry => ({ tweetId: (nextTweet += 2n), authorId: 77n });

async function fill(store: TimelineStore): Promise<void> {
  const history = Array.from({ length: ENTRIES }, () => newest());
  await Promise.all(users.map((u) => store.replace(u, history)));
}

/** Runs `batch` with `inFlight` concurrent loops for SECONDS after a short warm-up; deliveries per second. */
async function measure(batch: () => Promise<unknown> | unknown, perCall: number, inFlight = 1): Promise<number> {
  const run = async (ms: number): Promise<number> => {
    let calls = 0;
    const start = performance.now();
    const end = start + ms;
    const loop = async () => {
      while (performance.now() < end) {
        await batch();
        calls++;
      }
    };
    await Promise.all(Array.from({ length: inFlight }, loop));
    return (calls * perCall) / ((performance.now() - start) / 1000);
  };
  await run(200);
  return run(SECONDS * 1000);
}

function report(label: string, perSecond: number): void {
  log(`${label.padEnd(58)} ${fmt(perSecond).padStart(12)}/s   ${(perSecond / TARGET).toFixed(2)}× the 1.16M/s need`);
}

/** One inline command over a bare socket (INFO, DEL), resolved with its whole reply. */
function rawCommand(command: string): Promise<string> {
  const url = new URL(REDIS_URL);
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let data = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error('INFO timed out')));
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      data += chunk.toString();
      const header = /^\$(\d+)\r\n/.exec(data);
      if (header ? Buffer.byteLength(data) >= header[0].length + Number(header[1]) : data.endsWith('\r\n')) {
        socket.end();
        resolve(data);
      }
    });
    socket.connect(Number(url.port || 6379), url.hostname, () => socket.write(`${command}\r\n`));
  });
}

async function evalshaStats(): Promise<{ calls: number; usec: number }> {
  const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await rawCommand('INFO commandstats'));
  return { calls: Number(m?.[1] ?? 0), usec: Number(m?.[2] ?? 0) };
}

async function benchMemory(): Promise<void> {
  const store = new MemoryTimelineStore({ capacity: 800 });
  await fill(store);
  report(`memory pushSync, ${BATCH} timelines per call`, await measure(() => store.pushSync(users, newest()), BATCH));
  report(`memory push (async), ${BATCH} timelines per call`, await measure(() => store.push(users, newest()), BATCH));
  let i = 0;
  const one: bigint[] = [0n];
  report('memory pushSync, 1 timeline per call', await measure(() => {
    one[0] = users[i++ % BATCH]!;
    return store.pushSync(one, newest());
  }, 1));
  // Late tweets between the newest and the middle of every timeline (each one new, as each insert trims the oldest).
  const start = performance.now();
  for (let k = 1n; k < 400n; k++) store.pushSync(users, { tweetId: nextTweet - 799n + 2n * k, authorId: 1n });
  report('memory pushSync, 399 late tweets (mid-timeline inserts)', (399 * BATCH) / ((performance.now() - start) / 1000));
  report('memory rangeSync, 20 newest', await measure(() => store.rangeSync(users[i++ % BATCH]!, 20), 1));
}

async function benchRedis(): Promise<void> {
  const prefix = `tl-bench:${process.pid}:`;
  const store = new RedisTimelineStore(REDIS_URL, { capacity: 800, prefix });
  try {
    await store.ping();
  } catch {
    log(`redis: no server at ${REDIS_URL}, skipped`);
    await store.close();
    return;
  }
  try {
    await fill(store);
    for (const inFlight of [1, IN_FLIGHT]) {
      const before = await evalshaStats();
      const rate = await measure(() => store.push(users, newest()), BATCH, inFlight);
      const after = await evalshaStats();
      report(`redis push, ${BATCH} timelines per call, ${inFlight} in flight`, rate);
      const usPerCall = (after.usec - before.usec) / Math.max(1, after.calls - before.calls);
      log(`  server time per script ${fmt(usPerCall)} µs = ${(usPerCall / BATCH).toFixed(2)} µs per delivery (Redis alone could do ${fmt((BATCH * 1e6) / usPerCall)}/s)`);
    }
    let i = 0;
    report('redis range, 20 newest (64 in flight)', await measure(() => store.range(users[i++ % BATCH]!, 20), 1, 64));
    report('redis range, 20 before a mid id (64 in flight)', await measure(() => store.range(users[i++ % BATCH]!, 20, (1n << 60n) + 400n), 1, 64));
  } finally {
    await Promise.all(users.map((u) => store.drop(u)));
    await store.close();
    await rawCommand(`DEL ${prefix}count`);
  }
}

/** The realistic case: random followers among many timelines (see the header). */
async function benchRandom(): Promise<void> {
  log(`random: ${fmt(TIMELINES)} timelines of ${RANDOM_ENTRIES} entries, each tweet to ${FOLLOWERS} followers drawn at random`);
  const all = Array.from({ length: TIMELINES }, (_, i) => 20_000_000n + BigInt(i));
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  // Follower lists drawn once (a fan-out reads its graph; drawing is not what is measured).
  const lists = Array.from({ length: 512 }, () => Array.from({ length: FOLLOWERS }, () => Math.floor(random() * TIMELINES)));
  const history = Array.from({ length: RANDOM_ENTRIES }, () => newest());
  const memory = new MemoryTimelineStore({ capacity: 800, maxTimelines: TIMELINES });
  for (const u of all) memory.replaceSync(u, history);
  const slots = lists.map((list) => Int32Array.from(list, (i) => memory.slots.find(all[i]!)));
  const ids = lists.map((list) => list.map((i) => all[i]!));
  let k = 0;
  report(`memory pushSlot loop (the inline fan-out), ${FOLLOWERS} random`, await measure(() => {
    const { tweetId, authorId } = newest();
    const list = slots[k++ % slots.length]!;
    for (let i = 0; i < list.length; i++) memory.pushSlot(list[i]!, tweetId, authorId);
  }, FOLLOWERS));
  report(`memory pushSync by user id, ${FOLLOWERS} random`, await measure(() => memory.pushSync(ids[k++ % ids.length]!, newest()), FOLLOWERS));
  await memory.close();

  const prefix = `tl-bench-random:${process.pid}:`;
  const redis = new RedisTimelineStore(REDIS_URL, { capacity: 800, prefix });
  try {
    await redis.ping();
  } catch {
    await redis.close();
    return;
  }
  try {
    for (let i = 0; i < all.length; i += 1_000) await Promise.all(all.slice(i, i + 1_000).map((u) => redis.replace(u, history)));
    const before = await evalshaStats();
    const rate = await measure(() => redis.push(ids[k++ % ids.length]!, newest()), FOLLOWERS, 32);
    const after = await evalshaStats();
    report(`redis push, ${FOLLOWERS} random timelines per call, 32 in flight`, rate);
    const usPerCall = (after.usec - before.usec) / Math.max(1, after.calls - before.calls);
    log(`  server time per script ${fmt(usPerCall)} µs = ${(usPerCall / FOLLOWERS).toFixed(2)} µs per delivery (Redis alone could do ${fmt((FOLLOWERS * 1e6) / usPerCall)}/s)`);
  } finally {
    for (let i = 0; i < all.length; i += 1_000) await Promise.all(all.slice(i, i + 1_000).map((u) => redis.drop(u)));
    await redis.close();
    await rawCommand(`DEL ${prefix}count`);
  }
}

log(`timelines: one entry into batches of ${BATCH} timelines of ${ENTRIES} entries (capacity 800), ${SECONDS} s per cell`);
log(`baseline: the feed benchmark needs ${fmt(TARGET)} deliveries/s`);
await benchMemory();
await benchRedis();
await benchRandom();
