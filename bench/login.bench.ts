/**
 * `npm run bench:login`: logins per second over HTTP with the default (OWASP) argon2id
 * parameters, against the raw argon2id verifications per second of this machine measured in the
 * same run (the floor any login pays), with the ratio. Logins are driven by wrk, 20 users in turn.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hash, verify } from '@node-rs/argon2';
import { drivePosts, fmt, generatorNote, outside, startNode } from './bench.lib.js';

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
    const bodies = Array.from({ length: USERS }, (_, i) => JSON.stringify({ login: `bench_user_${i}`, password: 'correct horse battery staple' }));
    const result = await drivePosts(server.baseUrl, '/api/v1/auth/login', { list: bodies }, { connections: CONNECTIONS, seconds: SECONDS, pid: server.child.pid! });
    const ok = result.total - outside(result, 200, 299);
    const cpuPerLogin = (result.serverCpuUs ?? 0) / 1000;
    log('');
    log('| | per second | p99 ms | CPU ms each |');
    log('|---|---:|---:|---:|');
    log(`| raw argon2id verify, ${CONNECTIONS} in flight | ${fmt(raw)} | | |`);
    log(`| POST /api/v1/auth/login (${fmt(ok)} of ${fmt(result.total)} answered 200) | ${fmt(result.rps)} | ${result.p99} | ${cpuPerLogin.toFixed(1)} |`);
    log('');
    log(`ratio logins / raw verifications = ${(result.rps / raw).toFixed(3)}; ${generatorNote(result)}`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
