import { accessSync, constants, existsSync, readFileSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pino } from 'pino';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { openPostgres, openQueue } from '../composition/adapters.js';
import { isLoopbackHost } from '../http/metrics-access.js';
import { RedisClients } from '../platform/redis/index.js';
import { databasesIn, databasesInUse } from './backup.js';

/** One finding: `fail` stops a server from starting or working, `warn` is worth fixing. */
export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  /** What to do about a `warn` or `fail`. */
  fix?: string;
}

const ANSWER_TIMEOUT_MS = 3_000;
const LOW_DISK_BYTES = 1024 ** 3;
const QUEUE_CONNECT_MS = 10_000;

/** The `engines.node` of package.json (next to src/ and dist/ alike). */
function enginesRange(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines?: { node?: string } };
  return pkg.engines?.node ?? '*';
}

/** Whether `version` (`x.y.z`) is in a range of `^x[.y]` and `>=x[.y]` alternatives: the forms engines uses. */
export function nodeSatisfies(version: string, range: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return range.split('||').some((alternative) => {
    const m = /^\s*(\^|>=)\s*(\d+)(?:\.(\d+))?(?:\.\d+)?\s*$/.exec(alternative);
    if (m === null) return alternative.trim() === '*';
    const [wantMajor, wantMinor] = [Number(m[2]), Number(m[3] ?? 0)];
    if (m[1] === '^') return major === wantMajor && minor >= wantMinor;
    return major > wantMajor || (major === wantMajor && minor >= wantMinor);
  });
}

function checkNode(version = process.versions.node): Check {
  const range = enginesRange();
  if (!nodeSatisfies(version, range)) return { name: 'node', status: 'fail', detail: `Node ${version} is outside engines (${range})`, fix: 'install Node 24 (LTS): https://nodejs.org/en/download' };
  if (version.startsWith('20.')) return { name: 'node', status: 'warn', detail: `Node ${version}: works, but Node 20 left support on 2026-04-30`, fix: 'move to Node 24 (LTS) or 26; then reinstall (npm ci) so that native addons are rebuilt' };
  return { name: 'node', status: 'ok', detail: `Node ${version} (engines ${range})` };
}

function checkDataDir(config: Config): Check[] {
  const dir = resolve(config.DATA_DIR);
  const checks: Check[] = [];
  if (existsSync(dir) && !statSync(dir).isDirectory()) return [{ name: 'data dir', status: 'fail', detail: `${dir} is a file, not a directory`, fix: 'point DATA_DIR at a directory, or move the file away' }];
  let probeDir = dir;
  while (!existsSync(probeDir)) probeDir = dirname(probeDir);
  try {
    accessSync(probeDir, constants.W_OK);
    if (probeDir === dir) {
      const probe = join(dir, `.doctor-${process.pid}`);
      writeFileSync(probe, 'ok');
      rmSync(probe);
    }
  } catch (error) {
    return [{ name: 'data dir', status: 'fail', detail: `${probeDir} is not writable by this user (${(error as Error).message})`, fix: `chown the directory to the service's user, or set DATA_DIR elsewhere` }];
  }
  const free = statfsSync(probeDir);
  const freeBytes = free.bavail * free.bsize;
  const databases = existsSync(dir) ? databasesIn(dir) : [];
  const inUse = databases.length > 0 ? databasesInUse(dir) : [];
  const what = existsSync(dir) ? `${databases.length} database(s)${databases.length > 0 ? ` (${databases.join(', ')})` : ''}${inUse.length > 0 ? `, open in a running process: ${inUse.join(', ')}` : ''}` : 'created at first start';
  checks.push({ name: 'data dir', status: 'ok', detail: `${dir}: writable, ${what}` });
  checks.push(
    freeBytes < LOW_DISK_BYTES
      ? { name: 'disk', status: 'warn', detail: `${(freeBytes / 1024 ** 2).toFixed(0)} MiB free under ${probeDir}`, fix: 'free space or move DATA_DIR: SQLite needs room for its WAL and for backups' }
      : { name: 'disk', status: 'ok', detail: `${(freeBytes / 1024 ** 3).toFixed(1)} GiB free under ${probeDir}` },
  );
  return checks;
}

async function within<T>(what: Promise<T>, ms = ANSWER_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([what, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

const redacted = (url: string) => url.replace(/\/\/[^@/]*@/, '//');

async function checkServices(config: Config): Promise<Check[]> {
  const checks: Check[] = [];
  if (config.DATABASE_URL === undefined) checks.push({ name: 'database', status: 'ok', detail: `embedded SQLite under DATA_DIR (SQLITE_SYNCHRONOUS=${config.SQLITE_SYNCHRONOUS})` });
  else {
    const db = openPostgres(config, config.DATABASE_URL, { schema: config.DATABASE_SCHEMA, poolSize: 1 });
    try {
      await within(db.ping());
      checks.push({ name: 'database', status: 'ok', detail: `PostgreSQL answers at ${redacted(config.DATABASE_URL)}` });
    } catch (error) {
      checks.push({ name: 'database', status: 'fail', detail: `PostgreSQL at ${redacted(config.DATABASE_URL)}: ${(error as Error).message}`, fix: 'start PostgreSQL, or fix DATABASE_URL (unset it to use the embedded SQLite)' });
    } finally {
      await db.close().catch(() => {});
    }
  }
  if (config.REDIS_URL === undefined) checks.push({ name: 'redis', status: 'ok', detail: 'not configured: caches, timelines and rate limits stay in process' });
  else {
    const clients = new RedisClients({ url: config.REDIS_URL, name: 'blueprint-doctor' });
    const redis = clients.open('doctor', { lazyConnect: true, retryStrategy: () => null });
    // The rejection of connect() only says the connection closed; the socket's error says why.
    let cause: Error | undefined;
    redis.once('error', (error: Error) => (cause = error));
    try {
      await within(redis.connect());
      await within(redis.ping());
      checks.push({ name: 'redis', status: 'ok', detail: `Redis answers at ${redacted(config.REDIS_URL)}` });
    } catch (error) {
      checks.push({ name: 'redis', status: 'fail', detail: `Redis at ${redacted(config.REDIS_URL)}: ${(cause ?? (error as Error)).message}`, fix: 'start Redis, or fix REDIS_URL (unset it to keep that state in process)' });
    } finally {
      redis.disconnect();
      await clients.close().catch(() => {});
    }
  }
  if (config.AMQP_URL === undefined) checks.push({ name: 'queue', status: 'ok', detail: 'embedded SQLite queue under DATA_DIR' });
  else {
    const queue = openQueue(config, pino({ level: 'silent' }));
    try {
      // The client connects in the background and ping fails until it has: ask again until it
      // answers or the time is up (a busy machine takes seconds to finish the AMQP handshake).
      const deadline = Date.now() + QUEUE_CONNECT_MS;
      for (let attempt = 0; ; attempt++) {
        try {
          await within(queue.ping());
          break;
        } catch (error) {
          if (Date.now() >= deadline || attempt >= 100) throw error;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      checks.push({ name: 'queue', status: 'ok', detail: `RabbitMQ answers at ${redacted(config.AMQP_URL)}` });
    } catch (error) {
      checks.push({ name: 'queue', status: 'fail', detail: `RabbitMQ at ${redacted(config.AMQP_URL)}: ${(error as Error).message}`, fix: 'start RabbitMQ, or fix AMQP_URL (unset it to use the embedded queue)' });
    } finally {
      await within(queue.close()).catch(() => {});
    }
  }
  return checks;
}

function checkExposure(config: Config): Check[] {
  const checks: Check[] = [];
  const local = isLoopbackHost(config.HOST);
  const publicHost = new URL(config.PUBLIC_URL).hostname;
  if (!local && ['localhost', '127.0.0.1', '::1'].includes(publicHost)) {
    checks.push({ name: 'public url', status: 'warn', detail: `HOST=${config.HOST} listens beyond loopback, but short links point at ${config.PUBLIC_URL}`, fix: 'set PUBLIC_URL to the address users reach (https://sho.rt)' });
  } else checks.push({ name: 'public url', status: 'ok', detail: `short links point at ${config.PUBLIC_URL}` });
  if (config.METRICS_PORT !== undefined) checks.push({ name: 'metrics', status: 'ok', detail: `on their own listener, ${config.METRICS_HOST}:${config.METRICS_PORT}` });
  else if (config.METRICS_TOKEN !== undefined) checks.push({ name: 'metrics', status: 'ok', detail: '/metrics needs METRICS_TOKEN' });
  else if (!local) checks.push({ name: 'metrics', status: 'warn', detail: '/metrics is closed to scrapers (HOST is beyond loopback, no METRICS_TOKEN)', fix: 'set METRICS_TOKEN for Prometheus, or METRICS_PORT for a separate listener' });
  else checks.push({ name: 'metrics', status: 'ok', detail: '/metrics open on loopback' });
  for (const [name, file] of [['TLS_CERT_FILE', config.TLS_CERT_FILE], ['TLS_KEY_FILE', config.TLS_KEY_FILE]] as const) {
    if (file === undefined) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch {
      checks.push({ name: 'tls', status: 'fail', detail: `${name}=${file} cannot be read`, fix: `fix the path, or let the service's user read it` });
    }
  }
  if ((config.TLS_CERT_FILE === undefined) !== (config.TLS_KEY_FILE === undefined)) checks.push({ name: 'tls', status: 'fail', detail: 'TLS_CERT_FILE and TLS_KEY_FILE go together', fix: 'set both, or neither' });
  if (config.ADMIN_USERS !== '') checks.push({ name: 'operators', status: 'fail', detail: 'ADMIN_USERS is set: operators are a role on the user record now, and the server refuses to start with it', fix: 'blueprint users:role <name> operator for each name, then unset ADMIN_USERS' });
  return checks;
}

/**
 * Checks what a server started with `env` needs: the Node version, the configuration, the data
 * directory and disk, the servers it is configured to use (each asked to answer within 3 s; RabbitMQ given 10 s to connect), and
 * what it exposes. Never changes anything but a probe file it removes.
 */
export async function runDoctor(env: NodeJS.ProcessEnv = process.env, nodeVersion = process.versions.node): Promise<Check[]> {
  const checks: Check[] = [checkNode(nodeVersion)];
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) checks.push({ name: 'config', status: 'fail', detail: problem, fix: 'fix this variable (docs/operations.md lists every one), or unset it for the default' });
    return checks;
  }
  checks.push({ name: 'config', status: 'ok', detail: `valid; roles ${[...config.roles].join(', ')} on ${config.HOST}:${config.PORT}` });
  checks.push(...checkDataDir(config));
  checks.push(...(await checkServices(config)));
  checks.push(...checkExposure(config));
  return checks;
}

/** The report a person reads: one line per check, the fix under each that needs one, a verdict. */
export function formatDoctorReport(checks: readonly Check[]): string {
  const mark = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.flatMap((c) => [`${mark[c.status]}  ${c.name.padEnd(width)}  ${c.detail}`, ...(c.fix === undefined || c.status === 'ok' ? [] : [`      ${' '.repeat(width)}  fix: ${c.fix}`])]);
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  lines.push('', failed > 0 ? `${failed} problem(s) to fix before starting${warned > 0 ? `, ${warned} warning(s)` : ''}.` : warned > 0 ? `Ready to start, with ${warned} warning(s).` : 'Ready to start.');
  return `${lines.join('\n')}\n`;
}
