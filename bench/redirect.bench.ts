/**
 * `npm run bench:redirect`: the real server (analytics on, cache warm) against a bare Fastify
 * route answering 301 from a Map, all driven by wrk in the same run, alternating rounds, with a
 * browser's User-Agent and a Referer on every request (what analytics parses in real traffic).
 * Blueprint runs twice: with rate limiting off, and with the default policies on (the global
 * per-address limit raised so that one benchmarking address is never refused), so the cost of
 * the limiter on the hot path shows as a ratio of the same run. A second baseline, the same bare
 * route answering as Blueprint must (a 302, the security headers, the click kept in memory),
 * separates what any redirect with analytics and security headers costs from Blueprint's own code.
 *
 * `npm run bench:redirect -- --scaled`: the same against the scaled topology's adapters
 * (PostgreSQL, Redis, RabbitMQ from DATABASE_URL / REDIS_URL / AMQP_URL, else the machine's):
 * with the near cache, with the near cache and rate limits in Redis, and with the near cache off
 * (one Redis GET per redirect). Each runs in a schema, key prefix and queue prefix of its own,
 * removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { deleteTrackedQueues, TrackedQueue } from '../src/platform/queue/rabbitmq/testing/rabbitmq-test-kit.js';
import { deleteKeys } from '../src/platform/redis/testing/redis-keys.js';
import { SERVICES } from '../test/helpers/services.js';
import { commandCpuMs, driveGets, fmt, generatorNote, median, outside, processCpuMs, ratio, startNode, type Child, type LoadResult } from './bench.lib.js';
import { replicaWarning } from './scaled-run.js';

const CODES = Number(process.env.BENCH_CODES ?? 10_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WARM_SECONDS = Number(process.env.BENCH_WARM_SECONDS ?? 5);
const EXTRA_ENV = JSON.parse(process.env.BENCH_ENV ?? '{}') as Record<string, string>;
const SCALED = process.argv.includes('--scaled');
const RUN = `bench${randomBytes(3).toString('hex')}`;
// What a browser following a shared link sends: analytics parses both.
const BROWSER = {
  'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  referer: 'https://news.example.org/item?id=4242',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
};

const dir = mkdtempSync(join(tmpdir(), 'blueprint-bench-'));
const log = (s: string) => process.stdout.write(`${s}\n`);

interface Contender {
  label: string;
  /** Scaled: the servers' CPU (PostgreSQL, Redis, RabbitMQ) per redirect, µs, each round. */
  servicesUs?: number[];
  server: Child;
  runs: LoadResult[];
  /** The codes it serves, as request paths. */
  paths: string[];
  /** Blueprint only: its CPU time when the measured rounds began. */
  cpuStart?: number;
  /** The unmeasured warm-up loads: their redirects count in the click accounting. */
  warms: LoadResult[];
}

async function createLinks(baseUrl: string, n: number): Promise<[string, string][]> {
  const pairs: [string, string][] = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const url = `https://example.com/articles/${i}?utm_source=bench`;
      const res = await fetch(`${baseUrl}/api/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url }) });
      if (res.status !== 201) throw new Error(`create answered ${res.status}: ${await res.text()}`);
      pairs[i] = [((await res.json()) as { code: string }).code, url];
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return pairs;
}

const startBlueprint = (name: string, env: Record<string, string>) =>
  startNode('src/server.ts', [], { DATA_DIR: join(dir, name), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', RATE_LIMIT_CREATE: 'off', ...env, ...EXTRA_ENV }, join(dir, `${name}.log`));

async function metric(server: Child, name: string): Promise<number> {
  const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
  return Number(new RegExp(`^${name} ([\\d.e+-]+)`, 'm').exec(text)?.[1] ?? 0);
}

/** Waits until a Blueprint server has stored every click it recorded; returns the seconds it took. */
async function caughtUp(server: Child): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < 180_000) {
    // A flush interval passes before the last clicks are even queued.
    await new Promise((r) => setTimeout(r, 250));
    const [stored, recorded] = [await metric(server, 'clicks_stored_total'), await metric(server, 'clicks_buffered_total')];
    if (stored >= recorded) return (Date.now() - start) / 1000;
  }
  throw new Error('analytics did not catch up within 3 minutes');
}

/** CPU (ms) used so far by the scaled topology's servers on this machine. */
const servicesCpuMs = () => commandCpuMs('postgres') + commandCpuMs('redis-server') + commandCpuMs('beam.smp');

const LIMITS_OFF = { RATE_LIMIT_GLOBAL: 'off', RATE_LIMIT_PROBE: 'off' };
// The default policies, the global per-address limit raised so that one benchmarking address is never refused.
const LIMITS_ON = { RATE_LIMIT_GLOBAL: 'leaky-bucket 10000000/1s burst=10000000 nodelay by=ip' };

/** The Blueprint contenders of this mode: label, name, environment. */
function blueprintVariants(): { label: string; name: string; env: Record<string, string> }[] {
  if (!SCALED) {
    return [
      { label: 'Blueprint, rate limits off', name: 'limits-off', env: LIMITS_OFF },
      { label: 'Blueprint, rate limits on (global + probe)', name: 'limits-on', env: LIMITS_ON },
    ];
  }
  // Each in a schema, key prefix and queue prefix of its own.
  const scaled = (name: string) => ({
    DATABASE_URL: SERVICES.postgres,
    DATABASE_SCHEMA: `${RUN}_${name.replace(/-/g, '_')}`,
    REDIS_URL: SERVICES.redis,
    REDIS_PREFIX: `${RUN}:${name}:`,
    AMQP_URL: SERVICES.rabbitmq,
    AMQP_PREFIX: `${RUN}-${name}`,
  });
  return [
    { label: 'scaled, near cache, limits off', name: 'near', env: { ...scaled('near'), ...LIMITS_OFF } },
    { label: 'scaled, near cache, limits on (Redis)', name: 'near-limits', env: { ...scaled('near-limits'), ...LIMITS_ON } },
    { label: 'scaled, near cache off (Redis GET), limits off', name: 'redis-get', env: { ...scaled('redis-get'), ...LIMITS_OFF, CACHE_NEAR: 'off' } },
  ];
}

/** Removes what the scaled contenders left in PostgreSQL, Redis and RabbitMQ. */
async function cleanUpScaled(names: readonly string[]): Promise<void> {
  const client = new pg.Client({ connectionString: SERVICES.postgres });
  await client.connect();
  try {
    for (const name of names) await client.query(`drop schema if exists "${RUN}_${name.replace(/-/g, '_')}" cascade`);
  } finally {
    await client.end();
  }
  const redis = new Redis(SERVICES.redis);
  try {
    await deleteKeys(redis, `${RUN}:*`);
  } finally {
    await redis.quit();
  }
  for (const name of names) TrackedQueue.prefixes.add(`${RUN}-${name}`);
  for (const topic of ['clicks', 'feed.fanout', 'feed.search', 'feed.notifications']) TrackedQueue.topics.add(topic);
  await deleteTrackedQueues();
}

async function main(): Promise<void> {
  log(`redirect benchmark (wrk)${SCALED ? ' (scaled: PostgreSQL + Redis + RabbitMQ)' : ''}: ${CODES} codes, ${CONNECTIONS} connections, ${SECONDS}s x ${ROUNDS} rounds each, alternating`);
  const replica = SCALED ? replicaWarning() : undefined;
  if (replica !== undefined) log(replica);
  const servers: Child[] = [];
  const variants = blueprintVariants();
  try {
    const blueprints: Contender[] = [];
    for (const v of variants) {
      const server = await startBlueprint(v.name, v.env);
      servers.push(server);
      blueprints.push({ label: v.label, server, runs: [], warms: [], paths: [] });
    }
    log(`creating ${CODES} links on each Blueprint...`);
    const pathsOf = (p: [string, string][]) => p.map(([code]) => `/${code}`);
    let pairs: [string, string][] = [];
    for (const [i, b] of blueprints.entries()) {
      const created = await createLinks(b.server.baseUrl, CODES);
      if (i === 0) pairs = created;
      b.paths = pathsOf(created);
    }
    writeFileSync(join(dir, 'links.json'), JSON.stringify(pairs));
    const bare = await startNode('bench/servers/bare-redirect.server.ts', [join(dir, 'links.json')], {}, join(dir, 'bare.log'));
    servers.push(bare);
    const carrying = await startNode('bench/servers/bare-redirect.server.ts', [join(dir, 'links.json'), '--carry'], {}, join(dir, 'bare-carry.log'));
    servers.push(carrying);

    // The second baseline goes last: the indexes below count Blueprint's variants from 1.
    const carry: Contender = { label: 'bare Fastify, 302 + security headers + click in memory', server: carrying, runs: [], warms: [], paths: pathsOf(pairs) };
    const contenders: Contender[] = [{ label: 'bare Fastify, 301 from a Map', server: bare, runs: [], warms: [], paths: pathsOf(pairs) }, ...blueprints, carry];
    log(`warming (every code at least once, then ${WARM_SECONDS}s at full load so that the rounds measure compiled code)...`);
    for (const c of contenders) {
      c.warms.push(await driveGets(c.server.baseUrl, c.paths, { connections: 10, seconds: 2, headers: BROWSER }));
      c.warms.push(await driveGets(c.server.baseUrl, c.paths, { connections: CONNECTIONS, seconds: WARM_SECONDS, headers: BROWSER }));
    }
    for (const c of blueprints) await caughtUp(c.server);
    let peakLag = 0;
    let maxCatchUp = 0;
    for (const c of blueprints) c.cpuStart = processCpuMs(c.server.child.pid!);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const c of contenders) {
        const services0 = SCALED ? servicesCpuMs() : 0;
        const r = await driveGets(c.server.baseUrl, c.paths, { connections: CONNECTIONS, seconds: SECONDS, pid: c.server.child.pid!, headers: BROWSER });
        c.runs.push(r);
        const bad = outside(r, 300, 399) + r.errors;
        let line = `  round ${round} ${c.label.padEnd(44)}: ${fmt(r.rps)} req/s, p99 ${r.p99} ms, server CPU ${r.serverCpuUs?.toFixed(1)} µs/req; ${generatorNote(r)}${bad > 0 ? ` (${outside(r, 300, 399)} not 3xx, ${r.errors} errors)` : ''}`;
        if (blueprints.includes(c)) {
          const lag = await metric(c.server, 'queue_lag_seconds\\{topic="clicks"\\}');
          peakLag = Math.max(peakLag, lag);
          // Its deferred click storage must not run during the next contender's round.
          const catchUp = await caughtUp(c.server);
          maxCatchUp = Math.max(maxCatchUp, catchUp);
          line += `; analytics lag ${lag.toFixed(1)} s, caught up ${catchUp.toFixed(1)} s later`;
          if (SCALED) {
            // Measured through the catch-up: the clicks of this round stored, not only queued.
            const us = ((servicesCpuMs() - services0) * 1000) / r.total;
            (c.servicesUs ??= []).push(us);
            line += `; PostgreSQL + Redis + RabbitMQ CPU ${us.toFixed(1)} µs/redirect`;
          }
        }
        log(line);
      }
    }

    const accounting: string[] = [];
    for (const c of blueprints) {
      const served = [...c.warms, ...c.runs].reduce((a, r) => a + r.total - outside(r, 300, 399), 0);
      const [stored, recorded] = [await metric(c.server, 'clicks_stored_total'), await metric(c.server, 'clicks_buffered_total')];
      const perRedirect = ((processCpuMs(c.server.child.pid!) - c.cpuStart!) * 1000) / c.runs.reduce((a, r) => a + r.total, 0);
      accounting.push(`${c.label}: ${fmt(stored)} clicks stored of ${fmt(recorded)} recorded (the client saw ${fmt(served)} redirects complete); CPU per redirect with its click stored ${perRedirect.toFixed(1)} µs`);
    }

    const rps = contenders.map((c) => median(c.runs.map((r) => r.rps)));
    const cpu = contenders.map((c) => median(c.runs.map((r) => r.serverCpuUs ?? 0)));
    log('');
    log('| server | req/s (median) | p99 ms (median) | server CPU µs/req (median) | wrk CPU (median) |');
    log('|---|---:|---:|---:|---:|');
    contenders.forEach((c, i) => log(`| ${c.label} | ${fmt(rps[i]!)} | ${median(c.runs.map((r) => r.p99)).toFixed(1)} | ${cpu[i]!.toFixed(1)} | ${median(c.runs.map((r) => r.generatorCores * 100)).toFixed(0)}% |`));
    log('');
    const goal = SCALED ? 0.85 : 0.9;
    const last = contenders.length - 1;
    for (let i = 1; i < last; i++) {
      log(`ratio ${contenders[i]!.label} / bare = ${ratio(contenders[i]!.runs, contenders[0]!.runs).text}${i === 1 ? ` (goal >= ${goal})` : ''}; server CPU per request ${(cpu[i]! / cpu[0]!).toFixed(2)} x bare`);
    }
    log(`ratio ${carry.label} / bare = ${ratio(carry.runs, contenders[0]!.runs).text}: what a redirect with analytics and security headers costs on bare Fastify`);
    log(`ratio ${contenders[1]!.label} / that baseline = ${ratio(contenders[1]!.runs, carry.runs).text}; server CPU per request ${(cpu[1]! / cpu[last]!).toFixed(2)} x (Blueprint's own code beyond what a redirect must carry)`);
    log(`rate limiting on / off = ${(rps[2]! / rps[1]!).toFixed(3)} (goal >= 0.95); server CPU per request ${(cpu[2]! / cpu[1]!).toFixed(2)} x`);
    if (SCALED) log(`near cache off / on = ${(rps[3]! / rps[1]!).toFixed(3)}; server CPU per request ${(cpu[3]! / cpu[1]!).toFixed(2)} x`);
    if (SCALED) for (const c of blueprints) log(`${c.label}: PostgreSQL + Redis + RabbitMQ CPU per redirect, click stored ${median(c.servicesUs ?? [0]).toFixed(1)} µs (median), beside the API process's`);
    for (const line of accounting) log(line);
    log(`analytics yielded to redirects under load: peak queue lag ${peakLag.toFixed(1)} s; caught up at most ${maxCatchUp.toFixed(1)} s after a round`);
  } finally {
    for (const s of servers) await s.stop();
    if (SCALED) await cleanUpScaled(variants.map((v) => v.name));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
