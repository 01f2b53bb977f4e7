/**
 * `npm run bench:redirect`: the real server (analytics on, cache warm) against a bare Fastify
 * route answering 301 from a Map, both driven by autocannon in the same run, alternating rounds.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { driveGets, fmt, median, outside, processCpuMs, startNode, type LoadResult } from './bench.lib.js';

const CODES = Number(process.env.BENCH_CODES ?? 10_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

const dir = mkdtempSync(join(tmpdir(), 'blueprint-bench-'));
const log = (s: string) => process.stdout.write(`${s}\n`);

async function createLinks(baseUrl: string, n: number): Promise<[string, string][]> {
  const pairs: [string, string][] = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const url = `https://example.com/articles/${next++}?utm_source=bench`;
      const res = await fetch(`${baseUrl}/api/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url }) });
      if (res.status !== 201) throw new Error(`create answered ${res.status}: ${await res.text()}`);
      pairs.push([((await res.json()) as { code: string }).code, url]);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return pairs;
}

async function main(): Promise<void> {
  log(`redirect benchmark: ${CODES} codes, ${CONNECTIONS} connections, ${SECONDS}s x ${ROUNDS} rounds each, alternating`);
  const ours = await startNode('src/server.ts', [], { DATA_DIR: join(dir, 'data'), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...JSON.parse(process.env.BENCH_ENV ?? '{}') }, join(dir, 'blueprint.log'));
  let bare;
  try {
    log(`creating ${CODES} links...`);
    const pairs = await createLinks(ours.baseUrl, CODES);
    const paths = pairs.map(([code]) => `/${code}`);
    writeFileSync(join(dir, 'links.json'), JSON.stringify(pairs));
    bare = await startNode('bench/servers/bare-redirect.server.ts', [join(dir, 'links.json')], {}, join(dir, 'bare.log'));
    log('warming both (every code at least once)...');
    const warm = await driveGets(ours.baseUrl, paths, { connections: 10, seconds: 2 });
    await driveGets(bare.baseUrl, paths, { connections: 10, seconds: 2 });
    const metric = async (name: string) => Number(new RegExp(`^${name} ([\\d.e+-]+)`, 'm').exec(await (await fetch(`${ours.baseUrl}/metrics`)).text())?.[1] ?? 0);
    let peakLag = 0;

    const runs: { bare: LoadResult[]; ours: LoadResult[] } = { bare: [], ours: [] };
    const oursCpuStart = processCpuMs(ours.child.pid!);
    for (let round = 1; round <= ROUNDS; round++) {
      const b = await driveGets(bare.baseUrl, paths, { connections: CONNECTIONS, seconds: SECONDS, pid: bare.child.pid! });
      runs.bare.push(b);
      log(`  round ${round} bare Fastify : ${fmt(b.rps)} req/s, p99 ${b.p99} ms, server CPU ${b.serverCpuUs?.toFixed(1)} µs/req`);
      const o = await driveGets(ours.baseUrl, paths, { connections: CONNECTIONS, seconds: SECONDS, pid: ours.child.pid! });
      runs.ours.push(o);
      const lag = await metric('queue_lag_seconds\\{topic="clicks"\\}');
      peakLag = Math.max(peakLag, lag);
      log(`  round ${round} Blueprint    : ${fmt(o.rps)} req/s, p99 ${o.p99} ms, server CPU ${o.serverCpuUs?.toFixed(1)} µs/req${outside(o, 300, 399) + o.errors > 0 ? ` (${outside(o, 300, 399)} not 3xx, ${o.errors} errors)` : ''}; analytics lag ${lag.toFixed(1)} s`);
    }
    const bareRps = median(runs.bare.map((r) => r.rps));
    const oursRps = median(runs.ours.map((r) => r.rps));
    const redirected = (r: LoadResult) => r.total - outside(r, 300, 399);
    const served = runs.ours.reduce((a, r) => a + redirected(r), redirected(warm));

    log('waiting for analytics to store every click...');
    const loadEnded = Date.now();
    let stored = 0;
    let recorded = 0;
    while (Date.now() - loadEnded < 180_000) {
      [stored, recorded] = [await metric('clicks_stored_total'), await metric('clicks_buffered_total')];
      if (stored >= recorded && stored >= served) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const caughtUp = (Date.now() - loadEnded) / 1000;
    // Everything the server spent on the measured rounds, the clicks' storage deferred past them included.
    const oursCpuAll = ((processCpuMs(ours.child.pid!) - oursCpuStart) * 1000) / runs.ours.reduce((a, r) => a + r.total, 0);
    log('');
    log('| server | req/s (median) | p99 ms (median) | server CPU µs/req (median) |');
    log('|---|---:|---:|---:|');
    log(`| bare Fastify, 301 from a Map | ${fmt(bareRps)} | ${median(runs.bare.map((r) => r.p99))} | ${median(runs.bare.map((r) => r.serverCpuUs ?? 0)).toFixed(1)} |`);
    log(`| Blueprint redirect (analytics on, cache warm) | ${fmt(oursRps)} | ${median(runs.ours.map((r) => r.p99))} | ${median(runs.ours.map((r) => r.serverCpuUs ?? 0)).toFixed(1)} |`);
    log('');
    log(`server CPU per request, Blueprint / bare = ${(median(runs.ours.map((r) => r.serverCpuUs ?? 0)) / median(runs.bare.map((r) => r.serverCpuUs ?? 1))).toFixed(2)} (during the rounds)`);
    log(`server CPU per redirect including storing its click (deferred work counted): ${oursCpuAll.toFixed(1)} µs, ${(oursCpuAll / median(runs.bare.map((r) => r.serverCpuUs ?? 1))).toFixed(2)} x bare`);
    log(`ratio Blueprint / bare = ${(oursRps / bareRps).toFixed(3)} (goal >= 0.90)`);
    log(`analytics: ${fmt(stored)} clicks stored of ${fmt(recorded)} recorded (the client saw ${fmt(served)} redirects complete; it does not count those in flight when a run ends)`);
    log(`analytics yielded to redirects under load: peak queue lag ${peakLag.toFixed(1)} s, caught up ${caughtUp.toFixed(1)} s after the load ended`);
  } finally {
    await bare?.stop();
    await ours.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
