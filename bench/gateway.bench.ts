/**
 * `npm run bench:gateway`: requests per second through our gateway and through nginx, each in
 * front of the same two API processes, in one run, alternating rounds; the API alone (one process,
 * no proxy) is the ceiling. Both proxies get one process (nginx: one worker) and the same policy
 * (least connections) with keep-alive upstream connections, so the ratio compares proxies. wrk
 * drives them (one thread; its CPU is printed, and a ratio over a saturated generator is withheld).
 *
 * The request is the canon's hot path, a redirect (GET /bench, the same alias created on each API
 * process, each on SQLite of its own; cache warm): cheap enough that the proxies' cost shows.
 * BENCH_PATH (another path to GET), BENCH_CONNECTIONS, BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARM_SECONDS.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nginxConfig } from '../src/cluster/nginx-config.js';
import { nodeFlagsFor } from '../src/config/node-flags.js';
import { driveGets, fmt, generatorNote, median, outside, ratio, startNode, type Child, type LoadResult } from './bench.lib.js';
import { freePort } from '../test/helpers/free-port.js';

const PATH = process.env.BENCH_PATH ?? '/bench';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARM_SECONDS = Number(process.env.BENCH_WARM_SECONDS ?? 5);
const NGINX = '/usr/sbin/nginx';

const dir = mkdtempSync(join(tmpdir(), 'blueprint-bench-gateway-'));
const log = (s: string) => process.stdout.write(`${s}\n`);

interface Contender {
  label: string;
  baseUrl: string;
  /** The process whose CPU time is the proxy's (nginx: its one worker). */
  pid: number;
  runs: LoadResult[];
}

const apiEnv = (name: string) => ({ DATA_DIR: join(dir, name), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ACCESS_LOG: 'off', ROLES: 'api', RATE_LIMIT_GLOBAL: 'off', RATE_LIMIT_CREATE: 'off', RATE_LIMIT_PROBE: 'off', TRUST_PROXY: '127.0.0.1' });

async function main(): Promise<void> {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} is missing: apt-get install nginx-light (as .ci/run does)`);
  const children: Child[] = [];
  let nginx: ReturnType<typeof spawn> | undefined;
  try {
    log(`gateway benchmark: GET ${PATH}, ${CONNECTIONS} connections, ${SECONDS}s x ${ROUNDS} rounds each, alternating`);
    log(`the gateway runs as the cluster starts it: node ${nodeFlagsFor('gateway').join(' ')} dist/server.js --role gateway`);
    const apis = [];
    for (const name of ['api-1', 'api-2']) {
      const api = await startNode('src/server.ts', [], apiEnv(name), join(dir, `${name}.log`));
      children.push(api);
      apis.push(api);
      const created = await fetch(`${api.baseUrl}/api/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://example.com/benchmarked', alias: 'bench' }) });
      if (created.status !== 201) throw new Error(`creating the benchmark link: ${created.status} ${await created.text()}`);
    }
    const upstreams = apis.map((a) => {
      const u = new URL(a.baseUrl);
      return { address: u.host, host: u.hostname, port: Number(u.port), weight: 1, backup: false };
    });
    const gateway = await startNode(
      'src/server.ts',
      ['--role', 'gateway'],
      { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ACCESS_LOG: 'off', RATE_LIMIT_GLOBAL: 'off', DATA_DIR: join(dir, 'gateway'), GATEWAY_UPSTREAMS: upstreams.map((u) => u.address).join(','), GATEWAY_POLICY: 'least-connections' },
      join(dir, 'gateway.log'),
    );
    children.push(gateway);
    const port = await freePort();
    mkdirSync(join(dir, 'nginx', 'tmp'), { recursive: true });
    writeFileSync(
      join(dir, 'nginx', 'nginx.conf'),
      nginxConfig({ upstreams, listenPort: port, policy: 'least-connections', maxFails: 5, failTimeoutSeconds: 10, keepaliveConnections: 64, timeoutSeconds: 10, limit: undefined, staticDir: undefined, user: undefined, workerProcesses: 1 }),
    );
    nginx = spawn(NGINX, ['-p', join(dir, 'nginx'), '-c', join(dir, 'nginx', 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const nginxUrl = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100 && !(await fetch(`${nginxUrl}${PATH}`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 50));
    const nginxWorker = Number(execFileSync('pgrep', ['-P', String(nginx.pid)]).toString().trim().split('\n')[0]);

    const contenders: Contender[] = [
      { label: 'API alone (1 process, no proxy)', baseUrl: apis[0]!.baseUrl, pid: apis[0]!.child.pid!, runs: [] },
      { label: 'nginx (1 worker) -> 2 API', baseUrl: nginxUrl, pid: nginxWorker, runs: [] },
      { label: 'Blueprint gateway -> 2 API', baseUrl: gateway.baseUrl, pid: gateway.child.pid!, runs: [] },
    ];
    log(`warming each for ${WARM_SECONDS}s...`);
    for (const c of contenders) await driveGets(c.baseUrl, [PATH], { connections: CONNECTIONS, seconds: WARM_SECONDS });
    for (let round = 1; round <= ROUNDS; round++) {
      for (const c of contenders) {
        const r = await driveGets(c.baseUrl, [PATH], { connections: CONNECTIONS, seconds: SECONDS, pid: c.pid });
        c.runs.push(r);
        const bad = outside(r, 200, 399) + r.errors;
        log(`round ${round} ${c.label}: ${fmt(r.rps)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, proxy CPU ${r.serverCpuUs?.toFixed(1)} µs/req; ${generatorNote(r)}${bad > 0 ? `, ${bad} failed` : ''}`);
      }
    }
    const rps = contenders.map((c) => median(c.runs.map((r) => r.rps)));
    log('');
    log('| server | req/s (median) | p99 ms (median) | CPU µs/req of the measured process (median) | wrk CPU (median) |');
    log('|---|---:|---:|---:|---:|');
    contenders.forEach((c, i) => log(`| ${c.label} | ${fmt(rps[i]!)} | ${median(c.runs.map((r) => r.p99)).toFixed(1)} | ${median(c.runs.map((r) => r.serverCpuUs ?? 0)).toFixed(1)} | ${median(c.runs.map((r) => r.generatorCores * 100)).toFixed(0)}% |`));
    log('');
    const [api, viaNginx, viaGateway] = contenders.map((c) => c.runs) as [LoadResult[], LoadResult[], LoadResult[]];
    log(`gateway / nginx: ${ratio(viaGateway, viaNginx).text} (goal >= 0.6)`);
    log(`gateway / API alone: ${ratio(viaGateway, api).text}; nginx / API alone: ${ratio(viaNginx, api).text}`);
  } finally {
    if (nginx !== undefined && nginx.exitCode === null) {
      nginx.kill('SIGQUIT');
      await new Promise((r) => nginx!.once('exit', r));
    }
    await Promise.all(children.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
