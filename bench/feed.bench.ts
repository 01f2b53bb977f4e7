/**
 * `npm run bench:feed`: the news feed at the spec's write rate on a synthetic graph, push-only,
 * pull-only and hybrid side by side, in the embedded topology (one process: API and fan-out on the
 * main thread, search and notifications consumers on the worker thread; SQLite, the SQLite queue,
 * the in-process timeline store), with the default configuration (SQLITE_SYNCHRONOUS=full...).
 *
 * 1. Seeds a graph (BENCH_USERS users, BENCH_FOLLOWERS followers on average, a Pareto tail capped at
 *    BENCH_MAX_FOLLOWERS) straight into a database with the real migrations (bench/feed/seed.ts),
 *    with BENCH_HISTORY earlier tweets per user; every user has read recently, so fan-out reaches
 *    everyone. Each mode runs on its own copy.
 * 2. Per mode, the real server (bench/servers/feed.server.ts = startRuntime + instruments) with
 *    FEED_CELEBRITY_THRESHOLD set: push-only (1e9), pull-only (1: every seeded user has more
 *    followers, so nothing is fanned out) and hybrid (BENCH_THRESHOLD, default 10,000); the history
 *    marked as that threshold would have left it, and every user's home timeline cached as their
 *    last read left it.
 * 3. Read phase: GET /api/v1/timeline/home for BENCH_READERS random users (real JWTs) with
 *    autocannon, against a bare Fastify route serving the same page, in the same run; then a short
 *    profiled pass (where a read's time goes).
 * 4. Write phase: BENCH_TWEETS tweets by random authors POSTed over HTTP at BENCH_RATE per second,
 *    evenly paced (never more than 256 in flight: a saturated server slows the schedule down, which
 *    shows as the rate reached); the server's outbox relay, queue and fan-out consumer do the rest,
 *    until the fan-out queue is empty or BENCH_DRAIN_SECONDS pass. Measured in the server:
 *    deliveries (timeline entries pushed), post-to-visible latency per delivery (the tweet id's time
 *    to its push), store time, statement times, and a CPU profile of the main thread.
 *
 * Options: BENCH_USERS (100000), BENCH_FOLLOWERS (200), BENCH_ALPHA (1.6), BENCH_MAX_FOLLOWERS
 * (users/2), BENCH_HISTORY (1), BENCH_SEED (42), BENCH_TWEETS (10000), BENCH_RATE (5800),
 * BENCH_MODES (push,pull,hybrid), BENCH_THRESHOLD (10000), BENCH_READERS (1000), BENCH_SECONDS (10),
 * BENCH_CONNECTIONS (50), BENCH_DRAIN_SECONDS (120), BENCH_PROFILE (1; 0: no CPU profiles),
 * BENCH_ENV (JSON, more server environment, e.g. '{"SQLITE_SYNCHRONOUS":"normal"}').
 * BENCH_TWEETS is 10,000 rather than 20,000 so that a default run stays near five minutes: the
 * fan-out reaches tens of thousands of deliveries per second here, so 20,000 tweets (4M deliveries)
 * would take about two minutes per fanning-out mode.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hash } from '@node-rs/argon2';
import autocannon from 'autocannon';
import { feedMigrations } from '../src/modules/feed/index.js';
import { accountsMigrations } from '../src/modules/accounts/index.js';
import { outboxMigrationsFor } from '../src/platform/outbox/index.js';
import { ManualClock } from '../src/platform/clock/index.js';
import { SnowflakeIdGenerator } from '../src/platform/ids/index.js';
import { SqliteDatabase } from '../src/platform/sql/sqlite/sqlite-database.js';
import { fmt, processCpuMs, startNode, type Child } from './bench.lib.js';
import { minterLike, postPaced, quantile, signingKey, type Minter, type Post, type PostRun } from './feed/clients.js';
import { seededRandom as prng } from '../src/lib/seeded-random.js';
import { startFeedServer, type FeedServer, type WriteProgress, type WriteReport } from './feed/protocol.js';
import { markPulled, seedGraph, writeFollowLists, userId, usernameOf, type SeedResult } from './feed/seed.js';

const env = process.env;
const USERS = Number(env.BENCH_USERS ?? 100_000);
const FOLLOWERS = Number(env.BENCH_FOLLOWERS ?? 200);
const ALPHA = Number(env.BENCH_ALPHA ?? 1.6);
const MAX_FOLLOWERS = Number(env.BENCH_MAX_FOLLOWERS ?? Math.floor(USERS / 2));
const SEED = Number(env.BENCH_SEED ?? 42);
const TWEETS = Number(env.BENCH_TWEETS ?? 10_000);
const HISTORY = Number(env.BENCH_HISTORY ?? 1);
const RATE = Number(env.BENCH_RATE ?? 5_800);
const MODES = (env.BENCH_MODES ?? 'push,pull,hybrid').split(',').map((m) => m.trim()) as ModeName[];
const THRESHOLD = Number(env.BENCH_THRESHOLD ?? 10_000);
const READERS = Number(env.BENCH_READERS ?? 1_000);
const SECONDS = Number(env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 50);
const DRAIN_SECONDS = Number(env.BENCH_DRAIN_SECONDS ?? 120);
const PROFILE = env.BENCH_PROFILE !== '0';
const PROFILE_SECONDS = 3;
const EXTRA_ENV = JSON.parse(env.BENCH_ENV ?? '{}') as Record<string, string>;
/** The spec: 5,800 tweets/s × 200 followers. */
const NEED = 1_160_000;
const PASSWORD = 'correct horse battery staple';

type ModeName = 'push' | 'pull' | 'hybrid';
const MODE_INFO: Record<ModeName, { label: string; threshold: number }> = {
  push: { label: 'push-only', threshold: 1_000_000_000 },
  // The configuration's minimum; every seeded user has more followers than that, so nothing is pushed.
  pull: { label: 'pull-only', threshold: 1 },
  hybrid: { label: `hybrid (${fmt(THRESHOLD)})`, threshold: THRESHOLD },
};

const log = (s: string) => process.stdout.write(`${s}\n`);
const dir = mkdtempSync(join(tmpdir(), 'blueprint-bench-feed-'));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pct = (part: number, whole: number) => `${((100 * part) / Math.max(1e-9, whole)).toFixed(1)}%`;

interface ReadResult {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
  cpuUs: number;
}

interface State {
  minter?: Minter;
  tokens: Map<number, string>;
  bare?: Child;
  bareBody?: string;
}

interface ModeResult {
  mode: ModeName;
  posted: PostRun;
  expected: number;
  pushedTweets: number;
  write: WriteReport;
  atPostingEnd: WriteProgress;
  /** When the fan-out queue emptied (or the drain bound passed). */
  atDrained: WriteProgress;
  drainMs: number;
  drained: boolean;
  peakRate: number;
  read: ReadResult;
  bare: ReadResult;
  readProfile: WriteReport | undefined;
}

/** Home-timeline GETs with autocannon, one reader's token per request in turn; the server's CPU per request. */
async function driveReads(baseUrl: string, tokens: readonly string[], seconds: number, pid?: number): Promise<ReadResult> {
  let i = 0;
  const cpu0 = pid === undefined ? 0 : processCpuMs(pid);
  const result = await autocannon({
    url: baseUrl,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{ method: 'GET', path: '/api/v1/timeline/home', setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${tokens[i++ % tokens.length]!}` } }) }],
  });
  const cpu = pid === undefined ? 0 : processCpuMs(pid) - cpu0;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuUs: (cpu * 1000) / Math.max(1, result.requests.total),
  };
}

function describeGraph(seed: SeedResult): void {
  const sorted = Array.from(seed.followers).sort((a, b) => b - a);
  const over = sorted.filter((f) => f > THRESHOLD);
  log(`graph: ${fmt(USERS)} users, ${fmt(seed.follows)} follows (${(seed.follows / USERS).toFixed(1)} followers on average); followers: max ${fmt(sorted[0]!)}, top 5 ${sorted.slice(0, 5).map(fmt).join(' / ')}, median ${fmt(sorted[sorted.length >> 1]!)}, min ${fmt(sorted[sorted.length - 1]!)}`);
  log(`       ${over.length} celebrities above ${fmt(THRESHOLD)} followers hold ${pct(over.reduce((a, b) => a + b, 0), seed.follows)} of all follows`);
}

/** The tweets of the run: uniformly random authors (each user tweets alike), deterministic. */
function planTweets(): number[] {
  const random = prng(SEED ^ 0x7ee7);
  return Array.from({ length: TWEETS }, () => Math.floor(random() * USERS));
}

function printWriteFigures(r: Omit<ModeResult, 'mode' | 'read' | 'bare' | 'readProfile'>): void {
  const w = r.write;
  const postSeconds = (r.posted.lastSentAt - r.posted.startedAt) / 1000;
  const spanMs = (w.lastAt || r.posted.endedAt) - r.posted.startedAt;
  log(`  posted ${fmt(r.posted.ok)}/${fmt(TWEETS)} (${Object.entries(r.posted.statuses).map(([s, n]) => `${s}: ${fmt(n)}`).join(', ')}) in ${postSeconds.toFixed(2)} s = ${fmt(r.posted.sent / Math.max(0.001, postSeconds))}/s; POST latency p50 ${quantile(r.posted.latencies, 0.5).toFixed(1)} ms, p99 ${quantile(r.posted.latencies, 0.99).toFixed(1)} ms`);
  if (r.expected === 0) {
    log(`  fan-out: nothing to push (every author above the threshold); ${fmt(w.deliveries)} deliveries`);
  } else {
    log(`  fan-out: ${fmt(w.deliveries)} of ${fmt(r.expected)} deliveries (${fmt(r.pushedTweets)} tweets pushed) in ${secs(spanMs)} from the first post = ${fmt(w.deliveries / (spanMs / 1000))}/s sustained (peak 1 s: ${fmt(r.peakRate)}/s); ${(w.deliveries / (spanMs / 1000) / NEED).toFixed(2)}× the 1.16M/s need`);
    log(`  post → visible: p50 ${fmt(w.p50)} ms, p99 ${fmt(w.p99)} ms, max ${fmt(w.max)} ms per delivery; whole fan-out of a tweet p50 ${fmt(w.completionP50)} ms, p99 ${fmt(w.completionP99)} ms`);
    log(`  backlog when posting ended: ${fmt(r.atPostingEnd.queued)} fan-out messages queued (oldest ${secs(r.atPostingEnd.queueLagMs)}), ${fmt(r.atPostingEnd.outbox)} in the outbox; ${r.drained ? `drained ${secs(r.drainMs)} later` : `NOT drained after ${DRAIN_SECONDS} s`}`);
    log(`  timeline store: ${((w.storeMs * 1000) / Math.max(1, w.deliveries)).toFixed(3)} µs per delivery (${fmt(w.calls)} calls)`);
  }
  const perDelivery = w.deliveries > 0 ? `, ${((w.cpuMs * 1000) / w.deliveries).toFixed(2)} µs per delivery` : '';
  log(`  server CPU (all threads) ${fmt(w.cpuMs)} ms = ${((w.cpuMs * 1000) / TWEETS).toFixed(0)} µs per tweet${perDelivery}; of which the benchmark's progress polls ${fmt(w.pollingMs)} ms`);
  log(`  worker thread's consumers (search, notifications): ${fmt(r.atDrained.otherQueued)} messages still queued (oldest ${secs(r.atDrained.otherLagMs)}) when the fan-out was done`);
  printWhereTimeGoes(w, w.deliveries > 0 ? { unit: 'delivery', count: w.deliveries } : { unit: 'tweet', count: TWEETS });
}

/** Warnings and errors the server logged (pino JSON lines), counted by message, a few shown. */
function printServerProblems(logFile: string): void {
  const counts = new Map<string, number>();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: string | number; msg?: string; err?: { message?: string } };
      if (!['warn', 'error', 'fatal', 40, 50, 60].includes(entry.level ?? '')) continue;
      const key = `${entry.msg ?? '?'}${entry.err?.message ? `: ${entry.err.message.slice(0, 120)}` : ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    } catch {
      // Not a log line.
    }
  }
  if (counts.size === 0) return;
  log(`  server warnings/errors: ${[...counts].slice(0, 4).map(([m, n]) => `${fmt(n)}× ${m}`).join('; ')}`);
}

function printWhereTimeGoes(w: WriteReport, per: { unit: string; count: number }): void {
  if (w.profile !== undefined) {
    const busy = w.profile.byCategory.filter(([c]) => !c.startsWith('idle')).reduce((a, [, ms]) => a + ms, 0);
    log(`  main thread, ${secs(w.profile.totalMs)} profiled, busy ${pct(busy, w.profile.totalMs)}; self time by kind of code:`);
    for (const [category, ms] of w.profile.byCategory.slice(0, 10)) {
      if (ms / w.profile.totalMs < 0.005) continue;
      log(`    ${pct(ms, w.profile.totalMs).padStart(6)}  ${category}${category.startsWith('idle') ? '' : ` (${((ms * 1000) / per.count).toFixed(2)} µs per ${per.unit})`}`);
    }
  }
  const top = w.statements.slice(0, 6);
  if (top.length > 0) {
    log(`  SQL statements on the main thread (execution only):`);
    for (const s of top) {
      const rows = s.rows > 0 ? `, ${fmt(s.rows)} rows, ${((s.ms * 1000) / s.rows).toFixed(2)} µs/row` : '';
      log(`    ${fmt(s.ms).padStart(7)} ms  ${s.kind}: ${fmt(s.calls)} calls, ${((s.ms * 1000) / s.calls).toFixed(1)} µs each${rows}`);
    }
  }
}

async function runMode(mode: ModeName, template: string, seed: SeedResult, plan: number[], key: ReturnType<typeof signingKey>, state: State): Promise<ModeResult> {
  const { label, threshold } = MODE_INFO[mode];
  log('');
  log(`== ${label}: FEED_CELEBRITY_THRESHOLD=${threshold} ==`);
  const dataDir = join(dir, mode);
  mkdirSync(dataDir, { recursive: true });
  copyFileSync(template, join(dataDir, 'blueprint.db'));
  const copy = new SqliteDatabase({ filename: join(dataDir, 'blueprint.db') });
  const pulledAuthors = markPulled(copy.raw, threshold);
  await copy.close();
  const server = await startFeedServer(
    {
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      JWT_PRIVATE_KEY: key.pem,
      JWT_ISSUER: 'http://bench.local',
      ACCESS_TOKEN_TTL_SECONDS: '3600',
      RATE_LIMIT_GLOBAL: 'off',
      RATE_LIMIT_AUTH: 'off',
      RATE_LIMIT_CREATE: 'off',
      RATE_LIMIT_PROBE: 'off',
      FEED_CELEBRITY_THRESHOLD: String(threshold),
      BENCH_PROFILE: PROFILE ? '1' : '0',
      ...EXTRA_ENV,
    },
    join(dir, `${mode}.log`),
  );
  try {
    const prepared = (await server.call('prepare', { firstUserId: userId(0), users: USERS, followLists: join(dir, 'follows.bin') })) as { timelines: number; entries: number; ms: number };
    log(`server up at ${server.baseUrl}; ${fmt(pulledAuthors)} authors pulled at read time; ${fmt(prepared.timelines)} home timelines built from the history (${fmt(prepared.entries)} entries) in ${secs(prepared.ms)}`);

    if (state.minter === undefined) {
      // One real login (the seeded password hash), then tokens like the one it issued.
      const res = await fetch(`${server.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: usernameOf(0), password: PASSWORD }) });
      if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
      state.minter = minterLike(((await res.json()) as { accessToken: string }).accessToken, key.privateKey);
      const start = performance.now();
      for (const author of [...plan, ...readerIndexes()]) if (!state.tokens.has(author)) state.tokens.set(author, await state.minter.mint(String(userId(author)), usernameOf(author)));
      log(`minted ${fmt(state.tokens.size)} access tokens in ${fmt(performance.now() - start)} ms`);
    }
    const me = await fetch(`${server.baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${state.tokens.get(plan[0]!)}` } });
    if (me.status !== 200) throw new Error(`a minted token was refused (${me.status}): ${await me.text()}`);
    const read = await readPhase(server, state);
    const write = await writePhase(server, seed, plan, threshold, state.tokens);
    return { mode, ...read, ...write };
  } finally {
    printServerProblems(join(dir, `${mode}.log`));
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Home-timeline reads on the prepared timelines, against the bare baseline; then a profiled pass. */
async function readPhase(server: FeedServer, state: State): Promise<Pick<ModeResult, 'read' | 'bare' | 'readProfile'>> {
  const tokens = readerIndexes().map((r) => state.tokens.get(r)!);
  const sample = await fetch(`${server.baseUrl}/api/v1/timeline/home`, { headers: { authorization: `Bearer ${tokens[0]}` } });
  if (sample.status !== 200) throw new Error(`home timeline answered ${sample.status}: ${await sample.text()}`);
  const body = await sample.text();
  if (state.bare === undefined) {
    state.bareBody = body;
    writeFileSync(join(dir, 'page.json'), body);
    state.bare = await startNode('bench/servers/bare-timeline.server.ts', [join(dir, 'page.json')], {}, join(dir, 'bare.log'));
  }
  log(`read phase: GET /api/v1/timeline/home for ${fmt(READERS)} readers (a page of ${(JSON.parse(body) as { items: unknown[] }).items.length} tweets, ${fmt(body.length)} bytes; bare page ${fmt(state.bareBody!.length)} bytes), ${CONNECTIONS} connections, ${SECONDS} s each`);
  await driveReads(server.baseUrl, tokens, 2);
  const bare = await driveReads(state.bare.baseUrl, tokens, SECONDS, state.bare.child.pid!);
  log(`  bare Fastify, same page   : ${fmt(bare.rps)} req/s, p99 ${bare.p99} ms, server CPU ${bare.cpuUs.toFixed(1)} µs/req`);
  const read = await driveReads(server.baseUrl, tokens, SECONDS, server.child.pid!);
  log(`  Blueprint home timeline   : ${fmt(read.rps)} req/s, p99 ${read.p99} ms, server CPU ${read.cpuUs.toFixed(1)} µs/req${read.non2xx + read.errors > 0 ? ` (${fmt(read.non2xx)} not 2xx, ${fmt(read.errors)} errors)` : ''}; ratio ${(read.rps / bare.rps).toFixed(3)}`);
  let readProfile: WriteReport | undefined;
  if (PROFILE) {
    await server.call('begin', { profile: true });
    const profiled = await driveReads(server.baseUrl, tokens, PROFILE_SECONDS);
    readProfile = (await server.call('end', { profile: true })) as WriteReport;
    log(`  where a read's time goes (${PROFILE_SECONDS} s profiled pass, ${fmt(profiled.total)} reads):`);
    printWhereTimeGoes(readProfile, { unit: 'read', count: profiled.total });
  }
  return { read, bare, readProfile };
}

/** The paced posts, the fan-out they cause, until the fan-out queue is empty (bounded). */
async function writePhase(server: FeedServer, seed: SeedResult, plan: number[], threshold: number, tokens: Map<number, string>): Promise<Omit<ModeResult, 'mode' | 'read' | 'bare' | 'readProfile'>> {
  const posts: Post[] = plan.map((author, i) => ({ token: tokens.get(author)!, body: JSON.stringify({ text: `Tweet ${i} by ${usernameOf(author)}: the quick brown fox jumps over the lazy dog #bench` }) }));
  let expected = 0;
  let pushedTweets = 0;
  for (const author of plan) {
    if (seed.followers[author]! <= threshold) {
      expected += 1 + seed.followers[author]!;
      pushedTweets++;
    }
  }
  log(`write phase: ${fmt(TWEETS)} tweets by random authors at ${fmt(RATE)}/s (${secs((TWEETS / RATE) * 1000)}) over HTTP; ${fmt(expected)} deliveries expected`);
  await server.call('begin', { profile: PROFILE });
  const samples: { at: number; deliveries: number }[] = [];
  let polling = true;
  let postingDone = false;
  let lastPrint = 0;
  let latest: WriteProgress | undefined;
  const poll = (async () => {
    while (polling) {
      const p = (latest = (await server.call('progress', {})) as WriteProgress);
      const now = Date.now();
      samples.push({ at: now, deliveries: p.deliveries });
      if (now - lastPrint >= (postingDone ? 5_000 : 1_000)) {
        lastPrint = now;
        log(`  ${secs(now - (samples[0]?.at ?? now)).padStart(7)}: delivered ${fmt(p.deliveries)}, fan-out queue ${fmt(p.queued)} (oldest ${secs(p.queueLagMs)}), outbox ${fmt(p.outbox)}; search/notifications queues ${fmt(p.otherQueued)}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  const posted = await postPaced(`${server.baseUrl}/api/v1/tweets`, posts, { rate: RATE, maxInFlight: 256, timeLimitMs: Math.max(60_000, ((4 * TWEETS) / RATE) * 1000) });
  postingDone = true;
  const atPostingEnd = (await server.call('progress', {})) as WriteProgress;
  const drainStart = Date.now();
  let last = atPostingEnd;
  let drained = false;
  // The poller's figures, half a second apart at most (each poll costs the server a little: shown below).
  while (Date.now() - drainStart < DRAIN_SECONDS * 1000) {
    await new Promise((r) => setTimeout(r, 500));
    last = latest ?? last;
    if ((drained = last.queued === 0 && last.outbox === 0)) break;
  }
  polling = false;
  await poll;
  const write = (await server.call('end', { profile: PROFILE })) as WriteReport;
  const drainMs = drained ? Math.max(0, (write.lastAt || drainStart) - drainStart) : Date.now() - drainStart;
  // The best rate over any window of at least a second between two polls.
  let peakRate = 0;
  for (let i = 0, j = 0; i < samples.length; i++) {
    while (j + 1 < i && samples[i]!.at - samples[j + 1]!.at >= 1_000) j++;
    const span = samples[i]!.at - samples[j]!.at;
    if (span >= 1_000) peakRate = Math.max(peakRate, ((samples[i]!.deliveries - samples[j]!.deliveries) * 1000) / span);
  }
  // Tweets whose post failed (500, 503) were never committed: they are not expected.
  for (const i of posted.failed) if (seed.followers[plan[i]!]! <= threshold) {
    expected -= 1 + seed.followers[plan[i]!]!;
    pushedTweets--;
  }
  const result = { posted, expected, pushedTweets, write, atPostingEnd, atDrained: last, drainMs, drained, peakRate };
  printWriteFigures(result);
  return result;
}

let readers: number[] | undefined;
function readerIndexes(): number[] {
  const random = prng(SEED ^ 0x4eade5);
  readers ??= Array.from({ length: Math.min(READERS, USERS) }, () => Math.floor(random() * USERS));
  return readers;
}

function summary(results: ModeResult[]): void {
  log('');
  log(`| mode | tweets posted/s (target ${fmt(RATE)}) | deliveries | deliveries/s sustained (need 1.16M) | post → visible p50 / p99 ms | backlog at end of posting | server CPU µs/delivery | home reads req/s | p99 ms | CPU µs/read | bare req/s | ratio |`);
  log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const w = r.write;
    const postSeconds = (r.posted.lastSentAt - r.posted.startedAt) / 1000;
    const spanS = ((w.lastAt || r.posted.endedAt) - r.posted.startedAt) / 1000;
    const pushes = r.expected > 0;
    log(
      `| ${MODE_INFO[r.mode].label} | ${fmt(r.posted.sent / Math.max(0.001, postSeconds))} | ${fmt(w.deliveries)} | ${pushes ? fmt(w.deliveries / spanS) : '—'} | ${pushes ? `${fmt(w.p50)} / ${fmt(w.p99)}` : 'at read'} | ${fmt(r.atPostingEnd.queued + r.atPostingEnd.outbox)} msgs | ${pushes ? ((w.cpuMs * 1000) / w.deliveries).toFixed(2) : '—'} | ${fmt(r.read.rps)} | ${r.read.p99} | ${r.read.cpuUs.toFixed(0)} | ${fmt(r.bare.rps)} | ${(r.read.rps / r.bare.rps).toFixed(3)} |`,
    );
  }
}

async function main(): Promise<void> {
  log(`feed benchmark: ${fmt(USERS)} users × ${FOLLOWERS} followers on average (Pareto α=${ALPHA}, cap ${fmt(MAX_FOLLOWERS)}), ${fmt(TWEETS)} tweets at ${fmt(RATE)}/s, modes ${MODES.join(', ')}; ${cpus().length} CPUs, Node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const state: State = { tokens: new Map() };
  try {
    const template = join(dir, 'template', 'blueprint.db');
    log(`seeding ${template}...`);
    const started = performance.now();
    const db = new SqliteDatabase({ filename: template });
    await db.migrate({ ...accountsMigrations, ...outboxMigrationsFor(db.dialect), ...feedMigrations(db.dialect) });
    const passwordHash = await hash(PASSWORD, { memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    const now = Date.now();
    // The history tweets were posted over the previous day, one a millisecond.
    const clock = new ManualClock(now - 86_400_000);
    const historyIds = new SnowflakeIdGenerator(clock, 1_023);
    const seed = seedGraph(db.raw, { users: USERS, mean: FOLLOWERS, alpha: ALPHA, maxFollowers: MAX_FOLLOWERS, seed: SEED }, { passwordHash, now, history: HISTORY, historyIds: () => (clock.advance(1), historyIds.next()), progress: log });
    await db.close();
    writeFollowLists(join(dir, 'follows.bin'), seed);
    const s = seed.seconds;
    log(`seeded in ${secs(performance.now() - started)}: users ${s.users.toFixed(1)} s, follows ${s.follows.toFixed(1)} s (${fmt(seed.follows / s.follows)} rows/s), followee index ${s.index.toFixed(1)} s, counts and ${fmt(seed.history)} earlier tweets ${s.counts.toFixed(1)} s`);
    describeGraph(seed);
    const plan = planTweets();
    const key = signingKey();
    const results: ModeResult[] = [];
    for (const mode of MODES) {
      if (!(mode in MODE_INFO)) throw new Error(`unknown mode ${mode} (push, pull, hybrid)`);
      results.push(await runMode(mode, template, seed, plan, key, state));
    }
    summary(results);
    log('');
    log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (anything else running on the ${cpus().length} CPUs shows in every figure above)`);
  } finally {
    await state.bare?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
