/**
 * `npm run bench:feed:http` — the feed at the cheatsheet's rates, measured as a user would: black
 * box, over HTTP, against the real server (`src/server.ts`, one process; `--scaled`: on PostgreSQL,
 * Redis and RabbitMQ, each in a schema / prefix of its own, removed afterwards), driven by wrk.
 *
 * 1. Signs up BENCH_USERS users over the API, then each follows BENCH_FOLLOWS others (seeded, random)
 *    with wrk (tokens and names rotated by a Lua script): follows/s.
 * 2. Every user reads their home timeline once (they are active: fan-out reaches them).
 * 3. Capacity: wrk at full speed (closed loop) on `POST /api/v1/tweets` and on a bare Fastify route
 *    with the same schemas, alternating (the same-run baseline).
 * 4. Sustained: wrk posts at a fixed offered rate (BENCH_RATE, paced per request by the Lua script)
 *    for BENCH_SECONDS from BENCH_CONNECTIONS connections, while this process samples `/metrics`
 *    every second (deliveries, queue depth of the search and notification consumers) and runs
 *    post-to-visible probes: a user posts, one of their followers polls their home timeline until
 *    the tweet is there. Figures are over the steady-state window (after BENCH_WARM_SECONDS).
 * 5. Waits for the background consumers (search, notifications) to catch up, bounded.
 *
 * Prints tweets/s accepted (and any non-2xx), follows/s, deliveries/s against the 1.16M/s need,
 * post→visible p50/p99, the backlog over time, and the CPU of the server, of wrk and of this driver.
 * Options: BENCH_USERS (1000), BENCH_FOLLOWS (200), BENCH_RATE (5800), BENCH_SECONDS (60),
 * BENCH_WARM_SECONDS (10), BENCH_CONNECTIONS (64), BENCH_CAPACITY_SECONDS (10; 0 skips step 3),
 * BENCH_PROBES (4 concurrent), BENCH_ENV (JSON, more server environment), BENCH_PROFILE_DIR (CPU
 * profiles of the server's threads go there) and BENCH_PROFILE_PHASE (`posts`, `follows` or `reads`),
 * BENCH_READ_SECONDS (10; 0 skips the reads), BENCH_READERS (200).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../src/lib/seeded-random.js';
import { commandCpuMs, fmt, mainThreadCpuMs, processCpuMs, startNode } from './bench.lib.js';
import { cleanUpScaledRun, replicaWarning, scaledRunEnv } from './scaled-run.js';
import { haveWrk, luaPacing, runWrk, type WrkResult } from './wrk.js';

const env = process.env;
const USERS = Number(env.BENCH_USERS ?? 1_000);
const FOLLOWS = Number(env.BENCH_FOLLOWS ?? 200);
const RATE = Number(env.BENCH_RATE ?? 5_800);
const SECONDS = Number(env.BENCH_SECONDS ?? 60);
const WARM = Number(env.BENCH_WARM_SECONDS ?? 10);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 64);
const CAPACITY_SECONDS = Number(env.BENCH_CAPACITY_SECONDS ?? 10);
const PROBES = Number(env.BENCH_PROBES ?? 4);
const EXTRA_ENV = JSON.parse(env.BENCH_ENV ?? '{}') as Record<string, string>;
const SCALED = process.argv.includes('--scaled');
const READ_SECONDS = Number(env.BENCH_READ_SECONDS ?? 10);
const READERS = Number(env.BENCH_READERS ?? 200);
const NEED = 1_160_000;
const RUN = `bpfeed_${Date.now().toString(36)}`;

const log = (s: string) => process.stdout.write(`${s}\n`);
const dir = mkdtempSync(join(tmpdir(), 'blueprint-bench-feed-http-'));
const ms = (n: number) => `${n.toFixed(1)} ms`;

interface User {
  name: string;
  id: string;
  token: string;
}

/** Runs `work` over `items` with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}

async function signUpAll(base: string): Promise<User[]> {
  const users: User[] = new Array(USERS);
  const started = performance.now();
  await pool(
    Array.from({ length: USERS }, (_, i) => i),
    16,
    async (i) => {
      const name = `user_${i}`;
      const res = await fetch(`${base}/api/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: name, email: `${name}@bench.example`, password: `a long bench password ${i}` }) });
      if (res.status !== 201) throw new Error(`signup ${name}: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { user: { id: string }; accessToken: string };
      users[i] = { name, id: body.user.id, token: body.accessToken };
    },
  );
  log(`signed up ${fmt(USERS)} users over the API in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return users;
}

/** Who follows whom: each user FOLLOWS distinct others, uniformly at random (seeded). */
function planFollows(): [number, number][] {
  const random = seededRandom(20_261_206);
  const pairs: [number, number][] = [];
  for (let a = 0; a < USERS; a++) {
    const chosen = new Set<number>();
    while (chosen.size < Math.min(FOLLOWS, USERS - 1)) {
      const b = Math.floor(random() * USERS);
      if (b !== a) chosen.add(b);
    }
    for (const b of chosen) pairs.push([a, b]);
  }
  // Interleaved across followers, as many users following at once would send them.
  const shuffle = seededRandom(7);
  for (let i = pairs.length - 1; i > 0; i--) {
    const j = Math.floor(shuffle() * (i + 1));
    [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
  }
  return pairs;
}

/** A Lua table of strings, one per line of a file written beside the script. */
function luaLines(name: string, lines: readonly string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return `local lines = {}\nfor line in io.lines(${JSON.stringify(file)}) do lines[#lines + 1] = line end\n`;
}

/** PUT .../follow for every planned pair, once each, with wrk; the threads stop after the last. */
async function followAll(base: string, users: User[], pairs: [number, number][]): Promise<WrkResult> {
  const script = `${luaLines('follows.txt', pairs.map(([a, b]) => `${users[a]!.token} ${users[b]!.name}`))}
-- wrk calls request() once before the run to check what it returns (script_verify_request): that
-- first call gets a throwaway, so that no follow of the list is lost to it.
local i = -1
local answered = 0
request = function()
  i = i + 1
  -- Past the list (while the last follows are in flight): a cheap 404, not counted.
  if i < 1 or i > #lines then return wrk.format("GET", "/bench-done") end
  local token, name = lines[i]:match("^(%S+) (%S+)$")
  return wrk.format("PUT", "/api/v1/users/" .. name .. "/follow", { ["authorization"] = "Bearer " .. token })
end
response = function(status)
  if status ~= 404 then answered = answered + 1 end
  if answered == #lines then
    io.write("BP-DONE\\n")
    io.flush()
  end
end
`;
  return runWrk({ url: base, script, connections: CONNECTIONS, seconds: 600, scriptFile: join(dir, 'follows.lua'), untilDone: true });
}

/** The posting script: tokens in turn, a body per request; paced when `rate` is given. */
function postScript(users: User[], rate?: number): string {
  return `${rate === undefined ? '' : luaPacing(rate)}${luaLines('tokens.txt', users.map((u) => u.token))}
local i = 0
request = function()
  i = i + 1
  local token = lines[(i % #lines) + 1]
  return wrk.format("POST", "/api/v1/tweets", { ["authorization"] = "Bearer " .. token, ["content-type"] = "application/json" },
    '{"text":"tweet ' .. i .. ': the quick brown fox jumps over the lazy dog #bench"}')
end
`;
}

/** One `/metrics` sample: a counter and gauges this benchmark reads. */
interface Sample {
  at: number;
  deliveries: number;
  /** Messages of the background consumers (search, notifications) not yet handled. */
  backlog: number;
  fanoutQueued: number;
  serverCpuMs: number;
  mainCpuMs: number;
  /** The servers the scaled topology runs on (CPU ms of every process of each). */
  services: Record<string, number>;
}

const SERVICE_COMMANDS = { PostgreSQL: 'postgres', Redis: 'redis-server', RabbitMQ: 'beam.smp' };

async function sample(base: string, pid: number): Promise<Sample> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const value = (re: RegExp) => [...text.matchAll(re)].reduce((sum, m) => sum + Number(m[1]), 0);
  return {
    at: performance.now(),
    deliveries: value(/^feed_fanout_deliveries_total (\S+)$/gm),
    backlog: value(/^queue_messages\{topic="feed\.(?:search|notifications)",state="(?:ready|in_flight|delayed)"\} (\S+)$/gm),
    fanoutQueued: value(/^queue_messages\{topic="feed\.fanout",state="(?:ready|in_flight|delayed)"\} (\S+)$/gm),
    serverCpuMs: processCpuMs(pid),
    mainCpuMs: mainThreadCpuMs(pid),
    services: SCALED ? Object.fromEntries(Object.entries(SERVICE_COMMANDS).map(([name, comm]) => [name, commandCpuMs(comm)])) : {},
  };
}

/** Post-to-visible probes: a user posts; one of their followers polls their home timeline until it shows. */
async function probe(base: string, users: User[], pairs: [number, number][], until: number, out: number[]): Promise<void> {
  const followersOf = new Map<number, number[]>();
  for (const [a, b] of pairs) {
    let list = followersOf.get(b);
    if (list === undefined) followersOf.set(b, (list = []));
    list.push(a);
  }
  const random = seededRandom(out.length + 99);
  while (performance.now() < until) {
    const author = Math.floor(random() * USERS);
    const followers = followersOf.get(author) ?? [];
    if (followers.length === 0) continue;
    const reader = users[followers[Math.floor(random() * followers.length)]!]!;
    const started = performance.now();
    const res = await fetch(`${base}/api/v1/tweets`, { method: 'POST', headers: { authorization: `Bearer ${users[author]!.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ text: `probe ${started}` }) });
    if (res.status !== 201) {
      await res.text();
      continue;
    }
    const { id } = (await res.json()) as { id: string };
    for (;;) {
      // The page that starts at the probe's id (the cursor is exclusive): under thousands of tweets
      // a second, the probe leaves the first page of the timeline within milliseconds.
      const page = (await (await fetch(`${base}/api/v1/timeline/home?limit=1&cursor=${BigInt(id) + 1n}`, { headers: { authorization: `Bearer ${reader.token}` } })).json()) as { items?: { id: string }[] };
      if (page.items?.some((t) => t.id === id)) {
        out.push(performance.now() - started);
        break;
      }
      if (performance.now() - started > 30_000) {
        out.push(Number.POSITIVE_INFINITY);
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

const ok = (r: WrkResult) => Object.entries(r.statuses).reduce((n, [code, count]) => (code.startsWith('2') ? n + count : n), 0);
const statusText = (r: WrkResult) => Object.entries(r.statuses).map(([code, n]) => `${code}: ${fmt(n)}`).join(', ') + (r.errors > 0 ? `, socket errors/timeouts: ${fmt(r.errors)}` : '');
const generator = (r: WrkResult) => `wrk CPU ${(r.generatorCores * 100).toFixed(0)}% of a core`;

interface ReadRound {
  ours: WrkResult;
  bare: WrkResult;
}

/**
 * Home-timeline reads with wrk (BENCH_READERS users' tokens in turn) against a bare Fastify route
 * serving a page of the same size (one real answer, serialized per request), alternating, idle and
 * then while posts go on at half the offered rate; the medians of two rounds each.
 */
async function readPhase(base: string, pid: number, users: User[], profile: boolean): Promise<{ idle: ReadRound; loaded: ReadRound; authors: ReadRound }> {
  const readers = users.slice(0, READERS);
  const sampleRes = await fetch(`${base}/api/v1/timeline/home`, { headers: { authorization: `Bearer ${readers[0]!.token}` } });
  const page = await sampleRes.text();
  if (sampleRes.status !== 200) throw new Error(`home timeline answered ${sampleRes.status}: ${page}`);
  writeFileSync(join(dir, 'page.json'), page);
  // A profile's tweets (anonymous): the bare route serves one real answer of that route too.
  const authorRes = await fetch(`${base}/api/v1/users/${readers[0]!.name}/tweets?limit=20`);
  const authorPage = await authorRes.text();
  if (authorRes.status !== 200) throw new Error(`a user's tweets answered ${authorRes.status}: ${authorPage}`);
  writeFileSync(join(dir, 'author-page.json'), authorPage);
  const bare = await startNode('bench/servers/bare-timeline.server.ts', [join(dir, 'page.json'), join(dir, 'author-page.json')], {}, join(dir, 'bare-timeline.log'));
  const script = `${luaLines('readers.txt', readers.map((u) => u.token))}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/timeline/home", { ["authorization"] = "Bearer " .. lines[(i % #lines) + 1] })
end
`;
  const items = (JSON.parse(page) as { items: unknown[] }).items.length;
  log(`reads: GET /api/v1/timeline/home for ${READERS} readers in turn (a page of ${items} tweets, ${fmt(page.length)} bytes), 50 connections, ${READ_SECONDS} s rounds, alternating with a bare Fastify route serving that page`);
  const cpu = (before: number, r: WrkResult) => ((processCpuMs(pid) - before) * 1000) / Math.max(1, r.requests);
  const authorScript = `${luaLines('authors.txt', readers.map((u) => u.name))}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/users/" .. lines[(i % #lines) + 1] .. "/tweets?limit=20")
end
`;
  const round = async (label: string, lua = script): Promise<ReadRound> => {
    const runs: ReadRound[] = [];
    for (let k = 0; k < 2; k++) {
      const b = await runWrk({ url: bare.baseUrl, script: lua, connections: 50, seconds: READ_SECONDS, scriptFile: join(dir, 'bare-read.lua') });
      const cpu0 = processCpuMs(pid);
      const o = await runWrk({ url: base, script: lua, connections: 50, seconds: READ_SECONDS, scriptFile: join(dir, 'read.lua') });
      log(`  ${label}: bare ${fmt(b.rps)}/s (p99 ${ms(b.p99)}), Blueprint ${fmt(ok(o) / o.seconds)}/s (p99 ${ms(o.p99)}, ${cpu(cpu0, o).toFixed(0)} µs of server CPU per read${ok(o) < o.requests ? `; ${statusText(o)}` : ''}) = ${((ok(o) / o.seconds) / b.rps).toFixed(3)}; ${generator(o)}`);
      runs.push({ bare: b, ours: { ...o, rps: ok(o) / o.seconds } });
    }
    // The better of two rounds for each (noise on a shared machine only ever slows a round down).
    const best = (pick: (r: ReadRound) => WrkResult) => runs.map(pick).sort((a, b) => b.rps - a.rps)[0]!;
    return { bare: best((r) => r.bare), ours: best((r) => r.ours) };
  };
  try {
    // BENCH_PROFILE_PHASE=reads: the main thread's profile of the idle rounds (see profile-on-signal.mjs).
    if (profile) process.kill(pid, 'SIGUSR2');
    const idle = await round('idle');
    if (profile) process.kill(pid, 'SIGUSR2');
    log(`  a user's tweets: GET /api/v1/users/{name}/tweets?limit=20 for the same ${READERS} users in turn, anonymous (a page of ${fmt(authorPage.length)} bytes)`);
    const authors = await round("a user's tweets, idle", authorScript);
    const writing = runWrk({ url: base, script: postScript(users, RATE / 2), connections: 32, seconds: READ_SECONDS * 4 + 4, scriptFile: join(dir, 'background-posts.lua') });
    await new Promise((r) => setTimeout(r, 2_000));
    const loaded = await round(`under ${fmt(RATE / 2)} posts/s`);
    const posts = await writing;
    log(`  the posts meanwhile: ${fmt(ok(posts) / posts.seconds)} accepted/s, p99 ${ms(posts.p99)}; ${statusText(posts)}`);
    return { idle, loaded, authors };
  } finally {
    await bare.stop();
  }
}

async function main(): Promise<void> {
  if (!haveWrk()) throw new Error('this benchmark drives HTTP with wrk: apt-get install wrk');
  log(`feed benchmark over HTTP${SCALED ? ' (scaled: PostgreSQL + Redis + RabbitMQ, one process)' : ' (embedded, one process)'}: ${fmt(USERS)} users × ${FOLLOWS} follows, ${fmt(RATE)} tweets/s offered for ${SECONDS} s from ${CONNECTIONS} connections; ${cpus().length} CPUs, Node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const replica = SCALED ? replicaWarning() : undefined;
  if (replica !== undefined) log(replica);
  const serverEnv = {
    DATA_DIR: join(dir, 'data'),
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    RATE_LIMIT_GLOBAL: 'off',
    RATE_LIMIT_AUTH: 'off',
    RATE_LIMIT_CREATE: 'off',
    RATE_LIMIT_PROBE: 'off',
    ACCESS_TOKEN_TTL_SECONDS: '86400',
    // Tokens stay valid across a restart on another port (BENCH_PROFILE_DIR).
    JWT_ISSUER: 'http://bench.local',
    // Sign-up speed is not what is measured here: the cheapest argon2id the configuration allows.
    PASSWORD_HASH_MEMORY_KIB: '8192',
    PASSWORD_HASH_ITERATIONS: '1',
    ...(SCALED ? scaledRunEnv(RUN) : {}),
    ...EXTRA_ENV,
  };
  // BENCH_PROFILE_DIR: CPU profiles of every thread of the server during one phase
  // (BENCH_PROFILE_PHASE: `posts`, from just before the sustained run to the end, `follows`, or `reads`),
  // written when it stops: the server is restarted on the same data around the phase.
  const profileDir = env.BENCH_PROFILE_DIR;
  const profilePhase = env.BENCH_PROFILE_PHASE ?? 'posts';
  let starts = 0;
  const start = (profile: boolean) =>
    startNode('src/server.ts', [], { ...serverEnv, ...(profileDir === undefined ? {} : { BENCH_PROFILE_DIR: profileDir }) }, join(dir, `server-${++starts}.log`), [
      ...(profile && profileDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      ...(profilePhase === 'reads' && profileDir !== undefined ? ['--import', './bench/servers/profile-on-signal.mjs'] : []),
    ]);
  let server = await start(false);
  const bare = await startNode('bench/servers/bare-tweet.server.ts', [], {}, join(dir, 'bare.log'));
  const driverCpu0 = process.cpuUsage();
  try {
    let base = server.baseUrl;
    const users = await signUpAll(base);

    const pairs = planFollows();
    if (profilePhase === 'follows' && profileDir !== undefined) {
      await server.stop();
      server = await start(true);
      base = server.baseUrl;
    }
    log(`follows: ${fmt(pairs.length)} over HTTP (PUT /api/v1/users/{name}/follow), ${CONNECTIONS} connections...`);
    const followed = await followAll(base, users, pairs);
    const follows = { rate: ok(followed) / followed.seconds, result: followed };
    log(`  ${fmt(ok(followed))} accepted in ${followed.seconds.toFixed(1)} s = ${fmt(follows.rate)} follows/s (goal ≥ 10,000); p50 ${ms(followed.p50)}, p99 ${ms(followed.p99)}; ${statusText(followed)} (404s: requests past the list); ${generator(followed)}`);
    if (ok(followed) !== pairs.length) throw new Error(`${pairs.length - ok(followed)} follows were not accepted`);
    const profile = (await (await fetch(`${base}/api/v1/users/${users[0]!.name}`)).json()) as { following: number };
    if (profile.following !== Math.min(FOLLOWS, USERS - 1)) throw new Error(`${users[0]!.name} follows ${profile.following}, not ${FOLLOWS}`);
    if (profilePhase === 'follows' && profileDir !== undefined) {
      await server.stop();
      server = await start(false);
      base = server.baseUrl;
      log(`CPU profiles of the follows are in ${profileDir}`);
    }
    let pid = server.child.pid!;

    const readStart = performance.now();
    await pool(users, 32, async (u) => {
      const res = await fetch(`${base}/api/v1/timeline/home`, { headers: { authorization: `Bearer ${u.token}` } });
      if (res.status !== 200) throw new Error(`home of ${u.name}: ${res.status}`);
      await res.arrayBuffer();
    });
    log(`every user read their home timeline once (${((performance.now() - readStart) / 1000).toFixed(1)} s): all are active`);

    const capacity: { bare: WrkResult[]; ours: WrkResult[] } = { bare: [], ours: [] };
    if (CAPACITY_SECONDS > 0) {
      log(`capacity: wrk at full speed, ${CAPACITY_SECONDS} s per round, alternating with a bare Fastify POST of the same schemas`);
      for (let round = 0; round < 2; round++) {
        const b = await runWrk({ url: bare.baseUrl, script: postScript(users), connections: CONNECTIONS, seconds: CAPACITY_SECONDS, scriptFile: join(dir, 'bare.lua') });
        capacity.bare.push(b);
        log(`  bare Fastify POST       : ${fmt(b.rps)} req/s, p50 ${ms(b.p50)}, p99 ${ms(b.p99)}; ${generator(b)}`);
        const o = await runWrk({ url: base, script: postScript(users), connections: CONNECTIONS, seconds: CAPACITY_SECONDS, scriptFile: join(dir, 'capacity.lua') });
        capacity.ours.push(o);
        log(`  Blueprint POST /tweets  : ${fmt(ok(o) / o.seconds)} accepted/s, p50 ${ms(o.p50)}, p99 ${ms(o.p99)}; ${statusText(o)}; ${generator(o)}; ratio ${(ok(o) / o.seconds / b.rps).toFixed(3)}`);
      }
    }

    if (profilePhase === 'posts' && profileDir !== undefined) {
      await server.stop();
      server = await start(true);
      [base, pid] = [server.baseUrl, server.child.pid!];
      log(`restarted the server with CPU profiles into ${profileDir}`);
      // Each user's timeline is cached again (the restart lost them), as before the sustained run.
      await pool(users, 32, async (u) => void (await (await fetch(`${base}/api/v1/timeline/home`, { headers: { authorization: `Bearer ${u.token}` } })).arrayBuffer()));
    }
    log(`sustained: ${fmt(RATE)} tweets/s offered for ${SECONDS} s; steady-state window from ${WARM} s`);
    const samples: Sample[] = [];
    const started = performance.now();
    const end = started + SECONDS * 1000;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push(await sample(base, pid));
        const s = samples[samples.length - 1]!;
        const prev = samples[samples.length - 2];
        if (prev !== undefined && samples.length % 5 === 0) {
          log(`  ${((s.at - started) / 1000).toFixed(0).padStart(4)} s: ${fmt(((s.deliveries - prev.deliveries) * 1000) / (s.at - prev.at))} deliveries/s, server CPU ${(((s.serverCpuMs - prev.serverCpuMs) / (s.at - prev.at)) * 100).toFixed(0)}% (main thread ${(((s.mainCpuMs - prev.mainCpuMs) / (s.at - prev.at)) * 100).toFixed(0)}%), search/notifications backlog ${fmt(s.backlog)}${SCALED ? `, fan-out queue ${fmt(s.fanoutQueued)}` : ''}`);
        }
        await new Promise((r) => setTimeout(r, 1_000));
      }
    })();
    const latencies: number[] = [];
    const probes = Promise.all(Array.from({ length: PROBES }, () => probe(base, users, pairs, end - 500, latencies)));
    const sustained = await runWrk({ url: base, script: postScript(users, RATE), connections: CONNECTIONS, seconds: SECONDS, scriptFile: join(dir, 'sustained.lua') });
    await probes;
    sampling = false;
    await sampler;
    const window = samples.filter((s) => s.at - started >= WARM * 1000 && s.at <= end);
    const [first, last] = [window[0]!, window[window.length - 1]!];
    const windowSeconds = (last.at - first.at) / 1000;
    const deliveriesRate = (last.deliveries - first.deliveries) / windowSeconds;
    const serverCores = (last.serverCpuMs - first.serverCpuMs) / 1000 / windowSeconds;
    const mainCores = (last.mainCpuMs - first.mainCpuMs) / 1000 / windowSeconds;
    const serviceCores = Object.keys(last.services).map((name) => `${name} ${(((last.services[name]! - first.services[name]!) / 1000 / windowSeconds) * 100).toFixed(0)}%`);
    const accepted = ok(sustained) / sustained.seconds;
    const fiveXX = Object.entries(sustained.statuses).reduce((n, [c, k]) => (c.startsWith('5') ? n + k : n), 0);
    const maxBacklog = Math.max(...window.map((s) => s.backlog));
    log(`  wrk: ${fmt(sustained.requests)} posts in ${sustained.seconds.toFixed(1)} s = ${fmt(accepted)} accepted/s (offered ${fmt(RATE)}); p50 ${ms(sustained.p50)}, p99 ${ms(sustained.p99)}; ${statusText(sustained)}; ${generator(sustained)}`);
    log(`  steady state (${windowSeconds.toFixed(0)} s): ${fmt(deliveriesRate)} deliveries/s = ${(deliveriesRate / NEED).toFixed(2)}× the 1.16M/s need; server CPU ${(serverCores * 100).toFixed(0)}% (${((serverCores * 1e6) / Math.max(1, accepted)).toFixed(0)} µs per tweet accepted, all threads), main thread ${(mainCores * 100).toFixed(0)}% (${((mainCores * 1e6) / Math.max(1, accepted)).toFixed(0)} µs per tweet)`);
    const finite = latencies.filter(Number.isFinite);
    if (serviceCores.length > 0) log(`  the servers' CPU over the same window (of one core): ${serviceCores.join(', ')}`);
    log(`  post → visible in a follower's home: ${finite.length} probes, p50 ${ms(quantile(finite, 0.5))}, p99 ${ms(quantile(finite, 0.99))}, max ${ms(Math.max(...finite))}${latencies.length > finite.length ? `; ${latencies.length - finite.length} NOT visible within 30 s` : ''}`);
    log(`  search/notifications backlog: max ${fmt(maxBacklog)} messages in the window, ${fmt(last.backlog)} at its end`);

    const drainStart = performance.now();
    let after = await sample(base, pid);
    while ((after.backlog > 0 || after.fanoutQueued > 0) && performance.now() - drainStart < 120_000) {
      await new Promise((r) => setTimeout(r, 500));
      after = await sample(base, pid);
    }
    log(`  background consumers ${after.backlog === 0 && after.fanoutQueued === 0 ? `caught up ${((performance.now() - drainStart) / 1000).toFixed(1)} s after the run` : `still ${fmt(after.backlog)} behind after 120 s`}`);
    const reads = READ_SECONDS > 0 ? await readPhase(base, pid, users, profilePhase === 'reads' && profileDir !== undefined) : undefined;
    const driver = process.cpuUsage(driverCpu0);
    log('');
    log(`| measure | figure | goal |`);
    log(`|---|---:|---:|`);
    log(`| follows accepted/s | ${fmt(follows.rate)} (p99 ${ms(followed.p99)}) | ≥ 10,000 |`);
    if (capacity.ours.length > 0) {
      const o = capacity.ours.map((r) => ok(r) / r.seconds);
      const b = capacity.bare.map((r) => r.rps);
      log(`| posting capacity, closed loop (bare Fastify POST) | ${o.map(fmt).join(' / ')} (${b.map(fmt).join(' / ')}) | — |`);
    }
    log(`| tweets accepted/s at ${fmt(RATE)}/s offered | ${fmt(accepted)} (${fiveXX} 5xx) | ≥ 5,800, no 5xx |`);
    log(`| deliveries/s, steady state | ${fmt(deliveriesRate)} | ≥ 1,160,000 |`);
    log(`| post → visible p50 / p99 | ${ms(quantile(finite, 0.5))} / ${ms(quantile(finite, 0.99))} | p99 ≤ 2 s |`);
    log(`| POST latency p50 / p99 | ${ms(sustained.p50)} / ${ms(sustained.p99)} | — |`);
    log(`| server CPU, steady state (its main thread) | ${(serverCores * 100).toFixed(0)}% (${(mainCores * 100).toFixed(0)}%) of a core | — |`);
    if (reads !== undefined) {
      log(`| home reads/s idle, ratio to bare (p99) | ${fmt(reads.idle.ours.rps)} / ${fmt(reads.idle.bare.rps)} = **${(reads.idle.ours.rps / reads.idle.bare.rps).toFixed(2)}** (${ms(reads.idle.ours.p99)} vs ${ms(reads.idle.bare.p99)}) | ≥ 0.7 |`);
      log(`| a user's tweets/s idle, ratio to bare (p99) | ${fmt(reads.authors.ours.rps)} / ${fmt(reads.authors.bare.rps)} = **${(reads.authors.ours.rps / reads.authors.bare.rps).toFixed(2)}** (${ms(reads.authors.ours.p99)} vs ${ms(reads.authors.bare.p99)}) | — |`);
      log(`| home reads/s under ${fmt(RATE / 2)} posts/s, ratio to bare (p99) | ${fmt(reads.loaded.ours.rps)} / ${fmt(reads.loaded.bare.rps)} = **${(reads.loaded.ours.rps / reads.loaded.bare.rps).toFixed(2)}** (${ms(reads.loaded.ours.p99)} vs ${ms(reads.loaded.bare.p99)}) | ≥ 0.4 |`);
    }
    log(`| load generator CPU (wrk; this driver's probes and sampling) | ${(sustained.generatorCores * 100).toFixed(0)}%; ${(((driver.user + driver.system) / 1000 / (performance.now() - started)) * 100).toFixed(0)}% | — |`);
    log('');
    log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  } finally {
    await bare.stop();
    await server.stop();
    if (SCALED) await cleanUpScaledRun(RUN, ['clicks', 'feed.fanout', 'feed.search', 'feed.notifications']).catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
