/**
 * `npm run bench:login`: logins per second over HTTP with the default (OWASP) argon2id
 * parameters, against the raw argon2id verifications per second of this machine measured in the
 * same run (the floor any login pays), with the ratio.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hash, verify } from '@node-rs/argon2';
import autocannon from 'autocannon';
import { fmt, processCpuMs, startNode } from './bench.lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const USERS = 20;
const PARAMS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const dir = mkdtempSync(join(tmpdir(), 'blueprint-bench-'));
const log = (s: string) => process.stdout.write(`${s}\n`);

/** Raw argon2id verifications per second with `concurrency` in flight, for `seconds`. */
async function rawVerifies(concurrency: number, seconds: number): Promise<number> {
  const digest = await hash('correct horse battery staple', PARAMS);
  let done = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < until) {
      await verify(digest, 'correct horse battery staple');
      done++;
    }
  }));
  return done / seconds;
}

async function main(): Promise<void> {
  log(`login benchmark: argon2id m=${PARAMS.memoryCost} KiB t=${PARAMS.timeCost} p=${PARAMS.parallelism}, ${CONNECTIONS} connections, ${SECONDS}s each`);
  const server = await startNode('src/server.ts', [], { DATA_DIR: join(dir, 'data'), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', RATE_LIMIT_AUTH: 'off', RATE_LIMIT_GLOBAL: 'off' }, join(dir, 'server.log'));
  try {
    log(`signing up ${USERS} users...`);
    for (let i = 0; i < USERS; i++) {
      const res = await fetch(`${server.baseUrl}/api/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: `bench_user_${i}`, email: `bench${i}@example.com`, password: 'correct horse battery staple' }) });
      if (res.status !== 201) throw new Error(`signup answered ${res.status}: ${await res.text()}`);
    }
    log('raw argon2id verifications in this process (the floor)...');
    const raw = await rawVerifies(CONNECTIONS, SECONDS);
    log(`  ${fmt(raw)} verifications/s`);
    log('logins over HTTP...');
    let n = 0;
    const cpu0 = processCpuMs(server.child.pid!);
    const result = await autocannon({
      url: server.baseUrl,
      connections: CONNECTIONS,
      duration: SECONDS,
      requests: [{ method: 'POST', path: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: JSON.stringify({ login: `bench_user_${n++ % USERS}`, password: 'correct horse battery staple' }) }) }],
    });
    const ok = result['2xx'];
    const cpuPerLogin = (processCpuMs(server.child.pid!) - cpu0) / Math.max(1, result.requests.total);
    log('');
    log('| | per second | p99 ms | CPU ms each |');
    log('|---|---:|---:|---:|');
    log(`| raw argon2id verify, ${CONNECTIONS} in flight | ${fmt(raw)} | | |`);
    log(`| POST /api/v1/auth/login (${fmt(ok)} of ${fmt(result.requests.total)} answered 200) | ${fmt(result.requests.average)} | ${result.latency.p99} | ${cpuPerLogin.toFixed(1)} |`);
    log('');
    log(`ratio logins / raw verifications = ${(result.requests.average / raw).toFixed(3)}`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
