import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { nodeFlagsFor } from '../src/config/node-flags.js';
import { luaString, runWrk } from './wrk.js';

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
  // Blueprint runs as `npm start` runs it: compiled by tsc, not transformed on the fly by tsx
  // (whose helpers, such as the function-naming wrapper, cost a few per cent on a hot path).
  const entry = script === 'src/server.ts' ? builtServer() : script;
  const loader = entry.endsWith('.ts') || nodeArgs.some((a) => a.endsWith('.ts')) ? ['--import', 'tsx'] : [];
  const out = openSync(logFile, 'a');
  // A Blueprint server with the Node.js options of its roles, as the cluster starts it.
  const roles = script === 'src/server.ts' ? [...(env.ROLES ?? '').split(','), ...args.filter((a, i) => args[i - 1] === '--role')] : [];
  const child = spawn(process.execPath, [...nodeFlagsFor(roles), ...loader, ...nodeArgs, entry, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', out, 'inherit'] });
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

let built = false;

/** dist/server.js, compiled from the current sources once per benchmark run. */
function builtServer(): string {
  if (!built) {
    process.stdout.write('compiling the server (tsc -p tsconfig.build.json), as npm start does...\n');
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
    built = true;
  }
  return 'dist/server.js';
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
      // With the CPU of its children that exited (PostgreSQL's backends end with their connections:
      // their time moves to the postmaster's cutime/cstime, and would otherwise vanish from the sum).
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === comm) total += statCpuMs(`/proc/${entry}/stat`, true);
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}

function statCpuMs(path: string, withExitedChildren = false): number {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime (then cutime and cstime), in clock ticks (100 per second on Linux).
  const own = Number(fields[11]) + Number(fields[12]);
  return (withExitedChildren ? own + Number(fields[13]) + Number(fields[14]) : own) * 10;
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
  /** The load generator's CPU over the run, in cores (wrk runs one thread: 1 is its ceiling). */
  generatorCores: number;
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
  /** Extra request headers (a browser's User-Agent and Referer for redirects, say). */
  headers?: Record<string, string>;
}

/** Above this share of its one core, wrk itself limits the rate and the run measures wrk, not the server. */
export const GENERATOR_BOUND = 0.85;

/** Whether a run was limited by the load generator rather than the server. */
export const generatorBound = (r: LoadResult): boolean => r.generatorCores >= GENERATOR_BOUND;

/**
 * "ours / baseline = ratio", or why no ratio is given: when the baseline run saturated the
 * generator, the baseline's rate is the generator's, and any ratio would flatter the server.
 */
export function ratio(ours: LoadResult[], baseline: LoadResult[]): { value: number | null; text: string } {
  const bound = baseline.filter(generatorBound).length;
  if (bound > baseline.length / 2) {
    return { value: null, text: `withheld: the generator was saturated on the baseline (${median(baseline.map((r) => r.generatorCores * 100)).toFixed(0)}% of its core)` };
  }
  const value = median(ours.map((r) => r.rps)) / median(baseline.map((r) => r.rps));
  return { value, text: value.toFixed(3) };
}

let scripts = 0;

/**
 * Drives `baseUrl` with wrk (one thread, `connections` connections) for `seconds`: each request
 * made by the Lua body `request`; measures the server's CPU if told its pid, and wrk's own.
 */
async function drive(baseUrl: string, requestLua: string, options: DriveOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'blueprint-wrk-'));
  try {
    const headers = Object.entries(options.headers ?? {}).map(([k, v]) => `wrk.headers[${luaString(k)}] = ${luaString(v)}`).join('\n');
    const cpu0 = options.pid === undefined ? 0 : processCpuMs(options.pid);
    const r = await runWrk({ url: baseUrl, script: `${headers}\n${requestLua}`, connections: options.connections, seconds: options.seconds, scriptFile: join(dir, `drive-${++scripts}.lua`) });
    const round2 = (x: number) => Math.round(x * 100) / 100;
    const result: LoadResult = { rps: r.rps, p50: round2(r.p50), p99: round2(r.p99), statuses: r.statuses, errors: r.errors, total: r.requests, generatorCores: r.generatorCores };
    return options.pid === undefined || r.requests === 0 ? result : { ...result, serverCpuUs: ((processCpuMs(options.pid) - cpu0) * 1000) / r.requests };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lua: a table of strings read from a file written here (one per line), named `name`. */
function luaList(name: string, values: readonly string[]): { lua: string; file: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'blueprint-wrk-list-')), `${name}.txt`);
  writeFileSync(file, `${values.join('\n')}\n`);
  return { file, lua: `local ${name} = {}\nfor line in io.lines(${luaString(file)}) do ${name}[#${name} + 1] = line end\n` };
}

/** GET of each path in turn, round robin over the list (each connection starts at its own place). */
export async function driveGets(baseUrl: string, paths: readonly string[], options: DriveOptions): Promise<LoadResult> {
  const list = luaList('paths', paths);
  try {
    return await drive(baseUrl, `${list.lua}local i = math.random(#paths)\nfunction request()\n  i = i % #paths + 1\n  return wrk.format("GET", paths[i])\nend\n`, options);
  } finally {
    rmSync(dirname(list.file), { recursive: true, force: true });
  }
}

/**
 * POST of a JSON body to `path`: each body in turn from `bodies` (one line each), or, with
 * `uniqueLua`, a Lua expression of `n` (a counter unique to the run) that builds a fresh one.
 */
export async function drivePosts(baseUrl: string, path: string, bodies: { list: readonly string[] } | { lua: string }, options: DriveOptions): Promise<LoadResult> {
  const headers = { 'content-type': 'application/json', ...options.headers };
  if ('lua' in bodies) {
    const script = `local n = 0\nlocal run = tostring(math.random(1e9))\nfunction request()\n  n = n + 1\n  return wrk.format("POST", ${luaString(path)}, nil, ${bodies.lua})\nend\n`;
    return drive(baseUrl, script, { ...options, headers });
  }
  const list = luaList('bodies', bodies.list);
  try {
    return await drive(baseUrl, `${list.lua}local i = 0\nfunction request()\n  i = i % #bodies + 1\n  return wrk.format("POST", ${luaString(path)}, nil, bodies[i])\nend\n`, { ...options, headers });
  } finally {
    rmSync(dirname(list.file), { recursive: true, force: true });
  }
}

/** A one-line account of the generator's load, for the benchmarks' output. */
export const generatorNote = (r: LoadResult): string => `wrk ${(r.generatorCores * 100).toFixed(0)}% of a core${generatorBound(r) ? ' (SATURATED: this run measures wrk)' : ''}`;

/** The median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
