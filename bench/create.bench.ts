/**
 * `npm run bench:create`: link creations per second over HTTP, against a bare Fastify POST route
 * that validates the same JSON body schema and stores into a Map, both driven by wrk in the same
 * run, alternating rounds. Every body is a new URL; every created link is durable when answered.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drivePosts, fmt, generatorNote, median, outside, ratio, startNode, type LoadResult } from './bench.lib.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const EXTRA_ENV = JSON.parse(process.env.BENCH_ENV ?? '{}') as Record<string, string>;

const dir = mkdtempSync(join(tmpdir(), 'blueprint-bench-'));
const log = (s: string) => process.stdout.write(`${s}\n`);
// A fresh URL per request: `run` and `n` are the Lua driver's (see drivePosts).
const body = { lua: `'{"url":"https://example.com/articles/' .. run .. '-' .. n .. '?utm_source=bench"}'` };

async function main(): Promise<void> {
  // One client address makes all the load: the per-address policies would refuse it (measured apart: bench:redirect).
  const env = { DATA_DIR: join(dir, 'data'), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', RATE_LIMIT_GLOBAL: 'off', RATE_LIMIT_CREATE: 'off', ...EXTRA_ENV };
  log(`create benchmark (wrk): ${CONNECTIONS} connections, ${SECONDS}s x ${ROUNDS} rounds each, alternating; ${JSON.stringify(EXTRA_ENV)}`);
  writeFileSync(join(dir, 'links.json'), '[]');
  const ours = await startNode('src/server.ts', [], env, join(dir, 'blueprint.log'));
  const bare = await startNode('bench/servers/bare-redirect.server.ts', [join(dir, 'links.json')], {}, join(dir, 'bare.log'));
  try {
    await drivePosts(ours.baseUrl, '/api/v1/links', body, { connections: 10, seconds: 2 });
    await drivePosts(bare.baseUrl, '/api/v1/links', body, { connections: 10, seconds: 2 });
    const runs: { bare: LoadResult[]; ours: LoadResult[] } = { bare: [], ours: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      const b = await drivePosts(bare.baseUrl, '/api/v1/links', body, { connections: CONNECTIONS, seconds: SECONDS, pid: bare.child.pid! });
      runs.bare.push(b);
      log(`  round ${round} bare Fastify POST : ${fmt(b.rps)} req/s, p99 ${b.p99} ms, server CPU ${b.serverCpuUs?.toFixed(1)} µs/req; ${generatorNote(b)}`);
      const o = await drivePosts(ours.baseUrl, '/api/v1/links', body, { connections: CONNECTIONS, seconds: SECONDS, pid: ours.child.pid! });
      runs.ours.push(o);
      log(`  round ${round} Blueprint create  : ${fmt(o.rps)} req/s, p99 ${o.p99} ms, server CPU ${o.serverCpuUs?.toFixed(1)} µs/req; ${generatorNote(o)}${outside(o, 200, 299) + o.errors > 0 ? ` (${outside(o, 200, 299)} not 2xx, ${o.errors} errors)` : ''}`);
    }
    const bareRps = median(runs.bare.map((r) => r.rps));
    const oursRps = median(runs.ours.map((r) => r.rps));
    log('');
    log('| server | req/s (median) | p99 ms (median) | server CPU µs/req (median) | wrk CPU (median) |');
    log('|---|---:|---:|---:|---:|');
    const row = (label: string, rs: LoadResult[], rps: number) =>
      log(`| ${label} | ${fmt(rps)} | ${median(rs.map((r) => r.p99)).toFixed(1)} | ${median(rs.map((r) => r.serverCpuUs ?? 0)).toFixed(1)} | ${median(rs.map((r) => r.generatorCores * 100)).toFixed(0)}% |`);
    row('bare Fastify POST into a Map, same body schema', runs.bare, bareRps);
    row('Blueprint POST /api/v1/links', runs.ours, oursRps);
    log('');
    log(`server CPU per request, Blueprint / bare = ${(median(runs.ours.map((r) => r.serverCpuUs ?? 0)) / median(runs.bare.map((r) => r.serverCpuUs ?? 1))).toFixed(2)} (all threads)`);
    log(`ratio Blueprint / bare = ${ratio(runs.ours, runs.bare).text} (goal >= 0.5)`);
  } finally {
    await bare.stop();
    await ours.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
