/**
 * `npm run bench:chat`: the chat's WebSockets under load, black box, against the real server
 * (`src/server.ts` compiled as `npm start` runs it, one process, SQLite), each figure beside a bare
 * `ws` server measured the same way in the same run (bench/chat/bare-chat.server.ts). The load
 * clients are processes of their own (bench/chat/client.ts, the `ws` client library), their CPU
 * printed, so that the figures are the server's and not theirs.
 *
 * 1. Connections: BENCH_CONNECTIONS idle, authenticated chat sockets (distinct users) held by one
 *    server process, opened with bounded concurrency, held BENCH_HOLD_SECONDS (a heartbeat passes).
 *    The server's RSS before and after (/proc/<pid>/status) → bytes per connection, as held and
 *    after a full GC (bench/chat/memory-probe.mjs), and what 1M connections would need.
 * 2. Throughput: BENCH_GROUPS groups of 50 members (created over the REST API), every member
 *    connected, BENCH_SENDERS members of each group sending, in total, each rate of the ladder
 *    BENCH_RATE in turn (messages/s) for BENCH_SECONDS (the first BENCH_WARM_SECONDS not measured),
 *    each text carrying its send time; the ladder stops at the first rate the server does not
 *    sustain (under 80 % achieved, or p99 over 2 s). Every member's socket counts its
 *    `message.created` frames: deliveries/s, send → delivery p50/p99, lost or duplicated deliveries
 *    (every acknowledged seq, at every member), and the server's CPU per delivery.
 *
 * `-- --scaled`: the same against two API processes on PostgreSQL + Redis + RabbitMQ (a schema,
 * key prefix and queue prefix of its own, removed afterwards): phase 1 on one of them; in phase 2
 * the senders on the first and the other members spread over both.
 *
 * Options: BENCH_CONNECTIONS (19000), BENCH_HOLD_SECONDS (30), BENCH_GROUPS (40), BENCH_SENDERS (10
 * per group), BENCH_RATE (`250,500,1000,2000`), BENCH_SECONDS (12), BENCH_WARM_SECONDS (3), BENCH_CLIENTS (4 load
 * processes), BENCH_RAMP_CONCURRENCY (64 handshakes at once per load process), BENCH_TEXT_BYTES (100),
 * BENCH_PHASES (`connections,throughput`), BENCH_ENV (JSON, more server environment),
 * BENCH_PROFILE_DIR (a CPU profile of the server's main thread over the measured window of phase 2,
 * summarized), BENCH_HEAP_SNAPSHOT=1 (phase 1: V8 heap snapshots before and after, compared by
 * constructor: where the bytes per connection go; seconds of stall per snapshot, so with fewer
 * connections). Everything on 127.0.0.1; every wait bounded.
 */
import { spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { SERVICES } from '../test/helpers/services.js';
import { fmt, processCpuMs, startNode, type Child } from './bench.lib.js';
import { cleanUpScaledRun, replicaWarning, scaledRunEnv } from './scaled-run.js';
import { startClient, type ClientProcess } from './chat/clients.js';
import { expand, max as maxOf, merge, emptyHistogram, quantile, total } from './chat/histogram.js';
import { heapGrowth } from './chat/heap.js';
import { summarizeChatProfile } from './chat/profile.js';
import type { ConnectResult, DrainResult, Member, RunResult, StatusResult } from './chat/protocol.js';
import { createGroups, seededUser, seedUsersPostgres, seedUsersSqlite, type Group } from './chat/seed.js';
import { minterLike, signingKey } from './feed/clients.js';

const env = process.env;
const SCALED = process.argv.includes('--scaled');
const HOLD = Number(env.BENCH_HOLD_SECONDS ?? 30);
const GROUPS = Number(env.BENCH_GROUPS ?? 40);
const GROUP_SIZE = 50;
const SENDERS = Math.min(GROUP_SIZE, Number(env.BENCH_SENDERS ?? 10));
const RATES = (env.BENCH_RATE ?? '250,500,1000,2000').split(',').map(Number);
const SECONDS = Number(env.BENCH_SECONDS ?? 12);
const WARM = Math.min(SECONDS - 1, Number(env.BENCH_WARM_SECONDS ?? 3));
const CLIENTS = Math.max(1, Number(env.BENCH_CLIENTS ?? 4));
const RAMP_CONCURRENCY = Number(env.BENCH_RAMP_CONCURRENCY ?? 64);
const TEXT_BYTES = Number(env.BENCH_TEXT_BYTES ?? 100);
const PHASES = new Set((env.BENCH_PHASES ?? 'connections,throughput').split(','));
const EXTRA_ENV = JSON.parse(env.BENCH_ENV ?? '{}') as Record<string, string>;
const PROFILE_DIR = env.BENCH_PROFILE_DIR;
const RUN = `bpchat_${Date.now().toString(36)}`;
const SOCKET_PATH = '/api/v1/chat/socket';

const log = (s: string) => process.stdout.write(`${s}\n`);
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(n < 10 ? 2 : 1)} ms` : String(n));
const sleep = (n: number) => new Promise((r) => setTimeout(r, n));

/** The soft and hard limits on open files of this process (Linux /proc). */
function fdLimits(): { soft: number; hard: number } {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!;
  const [, soft, hard] = line.split(/\s{2,}/);
  const n = (s: string | undefined) => (s === 'unlimited' ? Number.POSITIVE_INFINITY : Number(s));
  return { soft: n(soft), hard: n(hard) };
}

/**
 * The server and the load clients are this process's children and inherit its limits: with a soft
 * limit below the hard one, the benchmark runs itself again under `ulimit -n <hard>` (bash), once.
 */
function raiseFdLimit(): void {
  const { soft, hard } = fdLimits();
  if (soft >= hard || env.BENCH_CHAT_FD_RAISED === '1') return;
  const target = Math.min(hard, 1_048_576);
  log(`raising the open-files limit from ${soft} to ${target} (the hard limit) and running again`);
  const r = spawnSync('bash', ['-c', `ulimit -n ${target} && exec "$0" "$@"`, process.execPath, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...env, BENCH_CHAT_FD_RAISED: '1' } });
  process.exit(r.status ?? 1);
}

const vmRss = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

interface MemoryProbe {
  held: NodeJS.MemoryUsage;
  collected: NodeJS.MemoryUsage;
  /** BENCH_HEAP_SNAPSHOT=1: the heap snapshot taken after the collection. */
  snapshot?: string;
}

/** The server's memory as it is and after a full GC (memory-probe.mjs, SIGWINCH). */
async function probeMemory(pid: number, file: string): Promise<MemoryProbe | undefined> {
  rmSync(file, { force: true });
  process.kill(pid, 'SIGWINCH');
  for (let i = 0; i < 1_200 && !existsSync(file); i++) await sleep(50);
  await sleep(50);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as MemoryProbe) : undefined;
}

const dir = mkdtempSync(join(tmpdir(), 'blueprint-bench-chat-'));
const memoryFile = (name: string) => join(dir, `${name}.memory.json`);
const PROBE = ['--expose-gc', '--import', './bench/chat/memory-probe.mjs'];

interface Server {
  label: string;
  urls: string[];
  /** The processes whose CPU and memory are the server's. */
  children: Child[];
  memoryFile: string;
}

const wsUrl = (child: Child) => `${child.baseUrl.replace(/^http/, 'ws')}${SOCKET_PATH}`;

/** Starts Blueprint: one process, or (scaled) two API processes on the same servers. */
async function startBlueprint(key: ReturnType<typeof signingKey>, profile: boolean, generation: number): Promise<Server> {
  const base = {
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    RATE_LIMIT_GLOBAL: 'off',
    RATE_LIMIT_AUTH: 'off',
    RATE_LIMIT_CREATE: 'off',
    RATE_LIMIT_PROBE: 'off',
    // The chat's per-user send limit: the senders here send faster than a person (BENCH_ENV can set it back).
    CHAT_SEND_RATE_LIMIT: 'off',
    ACCESS_TOKEN_TTL_SECONDS: '86400',
    JWT_PRIVATE_KEY: key.pem,
    JWT_ISSUER: 'http://bench.local',
    PASSWORD_HASH_MEMORY_KIB: '8192',
    PASSWORD_HASH_ITERATIONS: '1',
    ...(SCALED ? scaledRunEnv(RUN) : {}),
    ...EXTRA_ENV,
  };
  const children: Child[] = [];
  const names = SCALED ? ['api-1', 'api-2'] : ['blueprint'];
  const file = memoryFile(`blueprint-${generation}`);
  for (const [i, name] of names.entries()) {
    // The profiler (SIGUSR2) sits in memory-probe.mjs: only in the first process, only when asked.
    children.push(await startNode('src/server.ts', [], { ...base, DATA_DIR: join(dir, name), BENCH_MEMORY_FILE: file, ...(profile && i === 0 && PROFILE_DIR !== undefined ? { BENCH_PROFILE_DIR: PROFILE_DIR } : {}) }, join(dir, `${name}-${generation}.log`), PROBE));
  }
  return { label: SCALED ? 'Blueprint scaled (2 API processes)' : 'Blueprint (embedded, one process)', urls: children.map(wsUrl), children, memoryFile: file };
}

let bareStarts = 0;

async function startBare(membership?: Record<string, string>): Promise<Server> {
  const args: string[] = [];
  if (membership !== undefined) {
    writeFileSync(join(dir, 'membership.json'), JSON.stringify(membership));
    args.push(join(dir, 'membership.json'));
  }
  const file = memoryFile('bare');
  // A log of its own each time: startNode reads the first "listening" line of the file.
  const child = await startNode('bench/chat/bare-chat.server.ts', args, { BENCH_MEMORY_FILE: file }, join(dir, `bare-${++bareStarts}.log`), PROBE);
  return { label: 'bare ws server', urls: [wsUrl(child)], children: [child], memoryFile: file };
}

/** Connects `members`, spread over the load clients (member i to client i mod CLIENTS), with progress lines. */
async function connectAll(clients: ClientProcess[], urls: string[], members: Member[], label: string): Promise<ConnectResult> {
  const share = clients.map((_, c) => members.filter((_, i) => i % clients.length === c));
  const progress = clients.map(() => 0);
  for (const c of clients) c.onProgress = (p) => (progress[c.index] = p.connected + p.failed);
  const started = performance.now();
  const ticker = setInterval(() => {
    const done = progress.reduce((a, b) => a + b, 0);
    log(`    ${label}: ${fmt(done)} / ${fmt(members.length)} after ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }, 5_000);
  try {
    const results = (await Promise.all(clients.map((c, i) => c.call('connect', { urls, members: share[i]!, concurrency: RAMP_CONCURRENCY, timeoutMs: 60_000 })))) as ConnectResult[];
    const failures: Record<string, number> = {};
    for (const r of results) for (const [k, n] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + n;
    return { connected: results.reduce((a, r) => a + r.connected, 0), failed: results.reduce((a, r) => a + r.failed, 0), failures, ms: performance.now() - started };
  } finally {
    clearInterval(ticker);
  }
}

const clientsCpuMs = (clients: ClientProcess[]) => clients.reduce((a, c) => a + processCpuMs(c.pid), 0);

interface IdleResult {
  label: string;
  target: number;
  connect: ConnectResult;
  rssBefore: number;
  rssAfter: number;
  before?: MemoryProbe;
  after?: MemoryProbe;
  fds: number;
  open: number;
  pings: number;
  closed: Record<string, number>;
  /** Server CPU per handshake (µs), over the ramp. */
  handshakeUs: number;
  clientCores: number;
}

/** Phase 1 against `server` (its first process): ramp `n` idle connections, hold, measure. */
async function holdIdle(server: Server, clients: ClientProcess[], n: number): Promise<IdleResult> {
  const pid = server.children[0]!.child.pid!;
  const members = Array.from({ length: n }, (_, i): Member => seededUser(i));
  // Warm-up: code paths compiled and pools allocated before "before" is read, as in a server that ran a while.
  const warm = await connectAll(clients, [server.urls[0]!], members.slice(0, Math.min(500, n)), 'warm-up');
  if (warm.failed > 0) throw new Error(`${server.label}: warm-up connections failed: ${JSON.stringify(warm.failures)}`);
  await Promise.all(clients.map((c) => c.call('close', {})));
  await sleep(2_000);
  const before = await probeMemory(pid, server.memoryFile);
  const rssBefore = vmRss(pid);
  log(`  ${server.label}: RSS ${mib(rssBefore)} before, ${fdCount(pid)} fds; opening ${fmt(n)} connections (${clients.length} load processes, ${RAMP_CONCURRENCY} handshakes at once each)...`);
  const cpu0 = processCpuMs(pid);
  const clientCpu0 = clientsCpuMs(clients);
  const connect = await connectAll(clients, [server.urls[0]!], members, 'connected');
  const handshakeUs = ((processCpuMs(pid) - cpu0) * 1000) / Math.max(1, connect.connected);
  const clientCores = (clientsCpuMs(clients) - clientCpu0) / connect.ms;
  log(`  ${fmt(connect.connected)} connected in ${(connect.ms / 1000).toFixed(1)} s (${fmt((connect.connected * 1000) / connect.ms)}/s, ${handshakeUs.toFixed(0)} µs of server CPU each; load clients ${(clientCores * 100).toFixed(0)}% of a core)${connect.failed > 0 ? `; ${fmt(connect.failed)} FAILED: ${JSON.stringify(connect.failures)}` : ''}; holding ${HOLD} s...`);
  const holdEnd = performance.now() + HOLD * 1000;
  while (performance.now() < holdEnd) {
    await sleep(Math.min(10_000, holdEnd - performance.now()));
    log(`    RSS ${mib(vmRss(pid))}, ${fmt(fdCount(pid))} fds, load average ${load()}`);
  }
  const statuses = (await Promise.all(clients.map((c) => c.call('status', {})))) as StatusResult[];
  const rssAfter = vmRss(pid);
  const fds = fdCount(pid);
  const after = await probeMemory(pid, server.memoryFile);
  const closed: Record<string, number> = {};
  for (const s of statuses) for (const [k, v] of Object.entries(s.closed)) closed[k] = (closed[k] ?? 0) + v;
  const result: IdleResult = {
    label: server.label,
    target: n,
    connect,
    rssBefore,
    rssAfter,
    before,
    after,
    fds,
    open: statuses.reduce((a, s) => a + s.open, 0),
    pings: statuses.reduce((a, s) => a + s.pings, 0),
    closed,
    handshakeUs,
    clientCores,
  };
  await Promise.all(clients.map((c) => c.call('close', {})));
  const perConn = (rssAfter - rssBefore) / Math.max(1, result.open);
  const heapPer = after && before ? (after.collected.heapUsed - before.collected.heapUsed) / Math.max(1, result.open) : Number.NaN;
  if (before?.snapshot !== undefined && after?.snapshot !== undefined) {
    log(`  heap growth per connection (V8 heap snapshots after a full GC, self size by constructor):`);
    for (const [key, bytes, count] of heapGrowth(before.snapshot, after.snapshot, Math.max(1, result.open))) log(`    ${bytes.toFixed(0).padStart(6)} B  ${count.toFixed(2).padStart(6)} ×  ${key}`);
  }
  log(`  → ${fmt(result.open)} open after ${HOLD} s (${fmt(result.pings)} server pings answered${Object.keys(closed).length > 0 ? `; closed: ${JSON.stringify(closed)}` : ''}); RSS ${mib(rssBefore)} → ${mib(rssAfter)} = ${kib(perConn)} per connection as held; after a full GC: RSS ${after ? mib(after.collected.rss) : '?'}, live JS heap ${kib(heapPer)} per connection; ${fmt(fds)} fds`);
  return result;
}

interface ThroughputResult {
  label: string;
  rate: number;
  runs: RunResult[];
  drains: DrainResult[];
  expectedDeliveries: number;
  windowSeconds: number;
  serverCores: number;
  serverCoresEach: number[];
  clientCores: number;
  clientCoresEach: number[];
  serverRss: number;
  load: string;
  profile?: ReturnType<typeof summarizeChatProfile>;
}

/** The members of phase 2: group by group, SENDERS senders each; scaled: senders on server 0, the others spread. */
function groupMembers(groups: Group[], servers: number): Member[] {
  return groups.flatMap((g) =>
    g.members.map((i, k): Member => {
      const sender = k < SENDERS;
      return { ...seededUser(i), conversationId: g.conversationId, sender, server: sender || servers === 1 ? 0 : k % servers };
    }),
  );
}

/** Phase 2 against `server`: connect every member, then each rate of the ladder in turn (stopping past saturation). */
async function throughput(server: Server, clients: ClientProcess[], groups: Group[], profile: boolean): Promise<Step[]> {
  const members = groupMembers(groups, server.urls.length);
  const connect = await connectAll(clients, server.urls, members, 'members connected');
  if (connect.failed > 0) throw new Error(`${server.label}: ${connect.failed} members could not connect: ${JSON.stringify(connect.failures)}`);
  log(`  ${server.label}: ${fmt(connect.connected)} members connected in ${(connect.ms / 1000).toFixed(1)} s`);
  await sleep(2_000); // the presence announcements of the ramp die down
  const steps: Step[] = [];
  const base = new Map(groups.map((g) => [g.conversationId, g.seqAtStart]));
  try {
    for (const rate of RATES) {
      const raw = await runAt(server, clients, members, groups, base, rate, profile);
      const step = describeThroughput(raw);
      steps.push(step);
      // Saturated: the next rate would only measure a longer queue.
      if (step.msgs < rate * 0.8 || step.p99 > 2_000) {
        if (rate !== RATES[RATES.length - 1]) log(`    saturated at ${fmt(rate)} messages/s offered: the higher rates are not run`);
        break;
      }
    }
  } finally {
    await Promise.all(clients.map((c) => c.call('close', {})));
  }
  return steps;
}

/** One rate: send for SECONDS, drain, count; `base` (each conversation's last seq) moves on. */
async function runAt(server: Server, clients: ClientProcess[], members: Member[], groups: Group[], base: Map<string, number>, rate: number, profile: boolean): Promise<ThroughputResult> {
  log(`  ${server.label}: ${fmt(rate)} messages/s (${fmt(rate * GROUP_SIZE)} deliveries/s) for ${SECONDS} s, measured after ${WARM} s...`);
  const senders = clients.map((_, c) => members.filter((m, i) => m.sender && i % clients.length === c).length);
  const totalSenders = senders.reduce((a, b) => a + b, 0);
  const startAt = Date.now() + 1_000;
  const windowStart = startAt + WARM * 1000;
  const windowEnd = startAt + SECONDS * 1000;
  const cpu: { at: number; server: number[]; clients: number[] }[] = [];
  const sampleCpu = () => cpu.push({ at: performance.now(), server: server.children.map((c) => processCpuMs(c.child.pid!)), clients: clients.map((c) => processCpuMs(c.pid)) });
  const profiled = profile ? server.children[0]!.child.pid! : undefined;
  const mark = () => {
    sampleCpu();
    if (profiled !== undefined) process.kill(profiled, 'SIGUSR2');
  };
  const timers = [setTimeout(mark, windowStart - Date.now()), setTimeout(mark, windowEnd - Date.now())];
  let runs: RunResult[];
  let loadDuring: string;
  try {
    runs = (await Promise.all(clients.map((c, i) => c.call('run', { startAt, rate: (rate * senders[i]!) / totalSenders, seconds: SECONDS, warmSeconds: WARM, maxInFlight: Math.max(100, Math.ceil((rate / clients.length) * 2)), textBytes: TEXT_BYTES }, (SECONDS + 60) * 1000)))) as RunResult[];
    loadDuring = load();
  } finally {
    timers.forEach(clearTimeout);
  }
  // The clients can answer a moment before the window's end timer fires: its sample is taken now.
  while (cpu.length < 2) mark();
  const expected: Record<string, [number, number]> = {};
  for (const g of groups) {
    const from = base.get(g.conversationId)!;
    expected[g.conversationId] = [from, Math.max(from, ...runs.map((r) => r.lastSeq[g.conversationId] ?? 0))];
    base.set(g.conversationId, expected[g.conversationId]![1]);
  }
  const drains = (await Promise.all(clients.map((c) => c.call('drain', { expected, timeoutMs: 15_000 }, 60_000)))) as DrainResult[];
  const serverRss = server.children.reduce((a, c) => a + vmRss(c.child.pid!), 0);
  const [c0, c1] = [cpu[0], cpu[1]];
  const seconds = c0 && c1 ? (c1.at - c0.at) / 1000 : Number.NaN;
  const cores = (a: number[], b: number[]) => b.map((x, i) => (x - a[i]!) / 1000 / seconds);
  const serverCoresEach = c0 && c1 ? cores(c0.server, c1.server) : [];
  const clientCoresEach = c0 && c1 ? cores(c0.clients, c1.clients) : [];
  const expectedDeliveries = groups.reduce((a, g) => a + (expected[g.conversationId]![1] - expected[g.conversationId]![0]) * g.members.length, 0);
  let summary: ThroughputResult['profile'];
  if (profiled !== undefined && PROFILE_DIR !== undefined) {
    await sleep(1_000);
    const newest = readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.cpuprofile')).sort().pop();
    if (newest !== undefined) summary = summarizeChatProfile(join(PROFILE_DIR, newest));
  }
  return {
    label: server.label,
    rate,
    runs,
    drains,
    expectedDeliveries,
    windowSeconds: (windowEnd - windowStart) / 1000,
    serverCores: serverCoresEach.reduce((a, b) => a + b, 0),
    serverCoresEach,
    clientCores: clientCoresEach.reduce((a, b) => a + b, 0),
    clientCoresEach,
    serverRss,
    load: loadDuring,
    profile: summary,
  };
}

interface Step {
  rate: number;
  msgs: number;
  deliveries: number;
  p50: number;
  p99: number;
  max: number;
  lost: number;
  duplicates: number;
  serverCores: number;
  clientCores: number;
  /** Server CPU per delivery (µs). */
  usPerDelivery: number;
  load: string;
}

function describeThroughput(r: ThroughputResult): Step {
  const sum = (f: (x: RunResult) => number) => r.runs.reduce((a, x) => a + f(x), 0);
  const dsum = (f: (x: DrainResult) => number) => r.drains.reduce((a, x) => a + f(x), 0);
  const latency = emptyHistogram();
  for (const d of r.drains) merge(latency, expand(d.latency));
  const acks = emptyHistogram();
  for (const x of r.runs) merge(acks, expand(x.ackLatency));
  const errors: Record<string, number> = {};
  for (const x of r.runs) for (const [k, n] of Object.entries(x.errors)) errors[k] = (errors[k] ?? 0) + n;
  const other: Record<string, number> = {};
  for (const d of r.drains) for (const [k, n] of Object.entries(d.other)) other[k] = (other[k] ?? 0) + n;
  const closed: Record<string, number> = {};
  for (const d of r.drains) for (const [k, n] of Object.entries(d.closed)) closed[k] = (closed[k] ?? 0) + n;
  const out = {
    msgs: sum((x) => x.sentInWindow) / r.windowSeconds,
    deliveries: dsum((d) => d.deliveriesInWindow) / r.windowSeconds,
    p50: quantile(latency, 0.5),
    p99: quantile(latency, 0.99),
    max: maxOf(latency),
    lost: dsum((d) => d.lost),
    duplicates: dsum((d) => d.duplicates),
  };
  const step: Step = { ...out, rate: r.rate, serverCores: r.serverCores, clientCores: r.clientCores, usPerDelivery: (r.serverCores * 1e6) / Math.max(1, out.deliveries), load: r.load };
  log(`    sent ${fmt(sum((x) => x.sent))}, acknowledged ${fmt(sum((x) => x.acked))}${Object.keys(errors).length > 0 ? `, refused ${JSON.stringify(errors)}` : ''}${sum((x) => x.unanswered) > 0 ? `, UNANSWERED ${fmt(sum((x) => x.unanswered))}` : ''}; schedule at most ${fmt(Math.max(...r.runs.map((x) => x.maxBehind)))} sends behind`);
  log(`    ${fmt(out.msgs)} messages/s, ${fmt(out.deliveries)} deliveries/s over ${r.windowSeconds} s; send → delivery p50 ${ms(out.p50)}, p99 ${ms(out.p99)}, max ${ms(out.max)} (${fmt(total(latency))} deliveries); send → ack p50 ${ms(quantile(acks, 0.5))}, p99 ${ms(quantile(acks, 0.99))}`);
  log(`    deliveries ${fmt(dsum((d) => d.deliveries))} of ${fmt(r.expectedDeliveries)} expected: lost ${fmt(out.lost)}, duplicated ${fmt(out.duplicates)}${Object.keys(closed).length > 0 ? `; sockets closed: ${JSON.stringify(closed)}` : ''}; other frames ${JSON.stringify(other)}`);
  log(`    server CPU ${r.serverCoresEach.map((c) => `${(c * 100).toFixed(0)}%`).join(' + ')} of a core (${((r.serverCores * 1e6) / Math.max(1, out.msgs)).toFixed(0)} µs per message, ${((r.serverCores * 1e6) / Math.max(1, out.deliveries)).toFixed(1)} µs per delivery), RSS ${mib(r.serverRss)}; load clients ${r.clientCoresEach.map((c) => `${(c * 100).toFixed(0)}%`).join(' / ')} of a core each, event-loop delay p99 ${r.drains.map((d) => ms(d.loopDelayP99)).join(' / ')}; load average ${r.load}`);
  if (r.profile !== undefined) {
    log(`    CPU profile of the server's main thread over the window (${(r.profile.totalMs / 1000).toFixed(1)} s sampled), self time:`);
    for (const [place, t] of r.profile.places) log(`      ${((t / r.profile.totalMs) * 100).toFixed(1).padStart(5)}%  ${place}`);
    log('    hottest functions:');
    for (const [fn, t] of r.profile.functions) log(`      ${((t / r.profile.totalMs) * 100).toFixed(1).padStart(5)}%  ${fn}`);
  }
  return step;
}

/** What 1M connections would need, from the measured bytes per connection and a process's fd limit. */
function projection(perConn: number, baseRss: number, perProcess: number): void {
  const million = 1_000_000;
  const processes = Math.ceil(million / perProcess);
  const machineCores = cpus().length;
  const machineMem = totalmem();
  const perProcessRss = baseRss + perProcess * perConn;
  log(`  1M connections: ${gib(million * perConn)} of connection state (${kib(perConn)} each) + ${mib(baseRss)} base per process; 1M file descriptors.`);
  log(`    at this host's open-files limit (${fmt(perProcess)} connections per process): ${fmt(processes)} processes (${mib(perProcessRss)} RSS each, ${gib(processes * perProcessRss)} in all);`);
  const perMachine = Math.min(machineCores, Math.floor((machineMem * 0.8) / perProcessRss));
  log(`    one process per core on machines like this one (${machineCores} cores, ${gib(machineMem)}): ${perMachine} each → ${fmt(Math.ceil(processes / perMachine))} machines;`);
  const host = { cores: 16, mem: 64 * 1024 ** 3 };
  const perCore = Math.ceil(million / host.cores);
  const rssPerCore = baseRss + perCore * perConn;
  log(`    with nofile raised (fs.nr_open allows 1,048,576): one ${host.cores}-core 64 GiB host, a process per core holding ${fmt(perCore)} connections each, needs ${gib(host.cores * rssPerCore)} of RSS (${gib(rssPerCore)} per process) — ${host.cores * rssPerCore <= host.mem * 0.8 ? 'fits in memory' : 'does NOT fit in memory'}; CPU (heartbeats, fan-out) is the limit to check, not memory.`);
}

async function main(): Promise<void> {
  raiseFdLimit();
  const { soft } = fdLimits();
  // The server's own files (databases, logs, listeners) and the warm-up: a margin under the limit.
  const n = Math.min(Number(env.BENCH_CONNECTIONS ?? 19_000), soft - 500);
  log(`chat benchmark${SCALED ? ' (scaled: two API processes on PostgreSQL + Redis + RabbitMQ)' : ' (embedded, one process)'}: ${cpus().length} CPUs, Node ${process.version}, open files ${soft}; load average ${load()}`);
  const replica = SCALED ? replicaWarning() : undefined;
  if (replica !== undefined) log(replica);
  if (n < Number(env.BENCH_CONNECTIONS ?? 19_000)) log(`  BENCH_CONNECTIONS lowered to ${fmt(n)}: the open-files limit is ${soft}`);
  const key = signingKey();
  const servers: Server[] = [];
  const clients: ClientProcess[] = [];
  const users = Math.max(PHASES.has('connections') ? n : 0, PHASES.has('throughput') ? GROUPS * GROUP_SIZE : 0);
  const stopAll = async (s: Server) => {
    await Promise.all(s.children.map((c) => c.stop()));
    servers.splice(servers.indexOf(s), 1);
  };
  try {
    let generation = 0;
    let blueprint = await startBlueprint(key, false, ++generation);
    servers.push(blueprint);
    // One real sign-up: the server's token, whose kid, issuer and audience the load clients' tokens copy.
    const signup = await fetch(`${blueprint.children[0]!.baseUrl}/api/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'chatbenchowner', email: 'owner@bench.example', password: 'a long bench password 1' }) });
    if (signup.status !== 201) throw new Error(`signup: ${signup.status} ${await signup.text()}`);
    const template = ((await signup.json()) as { accessToken: string }).accessToken;
    const seedStart = performance.now();
    if (SCALED) await seedUsersPostgres(SERVICES.postgres, RUN, users);
    else seedUsersSqlite(join(dir, 'blueprint', 'blueprint.db'), users);
    log(`seeded ${fmt(users)} users in the database in ${((performance.now() - seedStart) / 1000).toFixed(1)} s; starting ${CLIENTS} load-client processes`);
    for (let i = 0; i < CLIENTS; i++) clients.push(await startClient(i));
    await Promise.all(clients.map((c) => c.call('init', { keyPem: key.pem, template })));

    let idle: { bare: IdleResult; ours: IdleResult } | undefined;
    if (PHASES.has('connections')) {
      log(`\nphase 1: ${fmt(n)} idle authenticated connections on one process, held ${HOLD} s`);
      const bare = await startBare();
      servers.push(bare);
      const bareIdle = await holdIdle(bare, clients, n);
      await stopAll(bare);
      const oursIdle = await holdIdle(blueprint, clients, n);
      idle = { bare: bareIdle, ours: oursIdle };
      const per = (r: IdleResult) => (r.rssAfter - r.rssBefore) / Math.max(1, r.open);
      log(`  ratio Blueprint / bare ws: ${(per(oursIdle) / per(bareIdle)).toFixed(2)}× the RSS per connection`);
      projection(per(oursIdle), oursIdle.rssBefore, Math.max(n, soft - 1_000));
    }

    let tput: { bare: Step[]; ours: Step[] } | undefined;
    if (PHASES.has('throughput')) {
      log(`\nphase 2: ${GROUPS} groups of ${GROUP_SIZE} (${fmt(GROUPS * GROUP_SIZE)} members, ${SENDERS} senders each), ${RATES.map(fmt).join(' → ')} messages/s (× ${GROUP_SIZE} deliveries each), ${SECONDS} s per rate`);
      const profile = PROFILE_DIR !== undefined;
      if (profile || PHASES.has('connections')) {
        // A fresh server (the connections of phase 1 left their garbage), profiled if asked.
        await stopAll(blueprint);
        blueprint = await startBlueprint(key, profile, ++generation);
        servers.push(blueprint);
      }
      const minter = minterLike(template, createPrivateKey(key.pem), 86_400);
      const groups = await createGroups(blueprint.children[0]!.baseUrl, minter, GROUPS, GROUP_SIZE);
      log(`  created ${GROUPS} groups over the REST API`);
      const bare = await startBare(Object.fromEntries(groups.flatMap((g) => g.members.map((i) => [seededUser(i).userId, g.conversationId]))));
      servers.push(bare);
      const bareSteps = await throughput(bare, clients, groups.map((g) => ({ ...g, seqAtStart: 0 })), false);
      await stopAll(bare);
      const oursSteps = await throughput(blueprint, clients, groups, profile);
      tput = { bare: bareSteps, ours: oursSteps };
    }

    if (idle !== undefined) {
      log('\n| measure | Blueprint | bare ws | ratio | goal |');
      log('|---|---:|---:|---:|---:|');
      const per = (r: IdleResult) => (r.rssAfter - r.rssBefore) / Math.max(1, r.open);
      const heap = (r: IdleResult) => (r.after && r.before ? (r.after.collected.heapUsed - r.before.collected.heapUsed) / Math.max(1, r.open) : Number.NaN);
      const gcRss = (r: IdleResult) => (r.after && r.before ? (r.after.collected.rss - r.before.collected.rss) / Math.max(1, r.open) : Number.NaN);
      log(`| idle connections held (of ${fmt(n)}) | ${fmt(idle.ours.open)} | ${fmt(idle.bare.open)} | — | 19,000 |`);
      log(`| RSS per connection, as held | ${kib(per(idle.ours))} | ${kib(per(idle.bare))} | ${(per(idle.ours) / per(idle.bare)).toFixed(2)} | ≤ 16 KiB |`);
      log(`| RSS per connection, after a full GC | ${kib(gcRss(idle.ours))} | ${kib(gcRss(idle.bare))} | ${(gcRss(idle.ours) / gcRss(idle.bare)).toFixed(2)} | — |`);
      log(`| live JS heap per connection | ${kib(heap(idle.ours))} | ${kib(heap(idle.bare))} | ${(heap(idle.ours) / heap(idle.bare)).toFixed(2)} | — |`);
      log(`| server CPU per handshake | ${idle.ours.handshakeUs.toFixed(0)} µs | ${idle.bare.handshakeUs.toFixed(0)} µs | ${(idle.ours.handshakeUs / idle.bare.handshakeUs).toFixed(2)} | — |`);
      log(`| handshakes/s (ramp) | ${fmt((idle.ours.connect.connected * 1000) / idle.ours.connect.ms)} | ${fmt((idle.bare.connect.connected * 1000) / idle.bare.connect.ms)} | — | — |`);
    }
    if (tput !== undefined) {
      log('\n| offered msgs/s | server | msgs/s | deliveries/s | p50 | p99 | lost / dup | server CPU | µs per delivery | load clients CPU | load average |');
      log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
      for (const rate of RATES) {
        for (const [name, steps] of [['Blueprint', tput.ours], ['bare ws', tput.bare]] as const) {
          const x = steps.find((st) => st.rate === rate);
          if (x === undefined) continue;
          log(`| ${fmt(rate)} | ${name} | ${fmt(x.msgs)} | ${fmt(x.deliveries)} | ${ms(x.p50)} | ${ms(x.p99)} | ${fmt(x.lost)} / ${fmt(x.duplicates)} | ${(x.serverCores * 100).toFixed(0)}% | ${x.usPerDelivery.toFixed(1)} | ${(x.clientCores * 100).toFixed(0)}% | ${x.load} |`);
        }
      }
      const cost = (steps: Step[]) => steps.map((x) => x.usPerDelivery).sort((a, b) => a - b)[0] ?? Number.NaN;
      const [ours, bare] = [cost(tput.ours), cost(tput.bare)];
      log(`\nserver CPU per delivery (the best step): Blueprint ${ours.toFixed(1)} µs, bare ws ${bare.toFixed(1)} µs = ${(ours / bare).toFixed(2)}×; one core at that cost: ${fmt(1e6 / ours)} deliveries/s (${fmt(1e6 / ours / GROUP_SIZE)} messages/s into 50-member groups) against ${fmt(1e6 / bare)} for bare ws; goal 100,000 deliveries/s with p99 ≤ 100 ms`);
    }
    log(`\nload average at the end: ${load()}`);
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
    for (const s of [...servers]) await stopAll(s);
    if (SCALED) await cleanUpScaledRun(RUN, ['clicks', 'feed.fanout', 'feed.search', 'feed.notifications', 'notifications', 'chat.notifications', 'chat.offline']).catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
