import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface Child {
  child: ChildProcess;
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts a node process running `script` (TypeScript through tsx) with its stdout going to
 * `logFile`, as a supervisor would keep it, and waits for its "listening" line there.
 */
export async function startNode(script: string, args: string[], env: Record<string, string>, logFile: string, nodeArgs: string[] = []): Promise<Child> {
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', ...nodeArgs, script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', out, 'inherit'] });
  closeSync(out);
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const line = readFileSync(logFile, 'utf8').split('\n').find((l) => l.includes('"listening"'));
    if (line) {
      const { address } = JSON.parse(line) as { address: string };
      return {
        child,
        baseUrl: address,
        stop: () =>
          new Promise((done) => {
            if (exited) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      };
    }
    if (exited || Date.now() > deadline) throw new Error(`${script} did not start; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** CPU time (user + system, ms) a process has used so far, all threads; Linux /proc. */
export function processCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** CPU time (ms) of a process's main thread alone (its event loop, for a Node process). */
export function mainThreadCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`);
}

/** CPU time (ms) used so far by every process whose command name is `comm` (e.g. postgres, redis-server, beam.smp). */
export function commandCpuMs(comm: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === comm) total += statCpuMs(`/proc/${entry}/stat`);
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}

function statCpuMs(path: string): number {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  /** Responses per status code. */
  statuses: Record<string, number>;
  errors: number;
  total: number;
  /** Server CPU time per answered request (µs), when the server's pid was given. */
  serverCpuUs?: number;
}

/** Responses whose status is outside [min, max]. */
export function outside(r: LoadResult, min: number, max: number): number {
  return Object.entries(r.statuses).reduce((n, [code, count]) => (Number(code) >= min && Number(code) <= max ? n : n + count), 0);
}

export interface DriveOptions {
  connections: number;
  seconds: number;
  /** The server's pid, to measure its CPU time per request. */
  pid?: number;
}

/** Drives `baseUrl` with autocannon using one request template; measures the server's CPU if told its pid. */
async function drive(baseUrl: string, request: autocannon.Request, options: DriveOptions): Promise<LoadResult> {
  const cpu0 = options.pid === undefined ? 0 : processCpuMs(options.pid);
  const result = await autocannon({ url: baseUrl, connections: options.connections, duration: options.seconds, requests: [request] });
  return withCpu(summarize(result), options.pid, cpu0);
}

/** GET of each path in turn, round robin over the list. */
export function driveGets(baseUrl: string, paths: readonly string[], options: DriveOptions): Promise<LoadResult> {
  let i = 0;
  return drive(baseUrl, { method: 'GET', setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length]! }) }, options);
}

/** POST of a JSON body made fresh for each request. */
export function drivePosts(baseUrl: string, path: string, body: (n: number) => string, options: DriveOptions): Promise<LoadResult> {
  let i = 0;
  return drive(baseUrl, { method: 'POST', path, headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: body(i++) }) }, options);
}

function withCpu(r: LoadResult, pid: number | undefined, cpu0: number): LoadResult {
  return pid === undefined || r.total === 0 ? r : { ...r, serverCpuUs: ((processCpuMs(pid) - cpu0) * 1000) / r.total };
}

function summarize(r: autocannon.Result): LoadResult {
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    statuses: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => [code, (v as { count: number }).count])),
    errors: r.errors + r.timeouts,
    total: r.requests.total,
  };
}

/** The median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
