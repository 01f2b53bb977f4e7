/**
 * wrk (Debian's package) as the benchmarks' load generator: written in C, one thread drives a
 * Node server at several times the rate a Node generator can on the same two cores, so the server,
 * not the generator, is what is measured. Requests come from a Lua script (rotating paths, tokens,
 * bodies); this helper appends a reporting block to it that prints one JSON line: requests, status
 * counts, latency percentiles. The generator's own CPU time is read from /proc.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { processCpuMs } from './bench.lib.js';

const WRK = '/usr/bin/wrk';

/** Lua: a millisecond clock (LuaJIT FFI) and pacing to a fixed offered rate per wrk thread. */
export const LUA_CLOCK = `
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } bp_timespec; int clock_gettime(int, bp_timespec*); ]]
local bp_ts = ffi.new("bp_timespec")
function bp_now_ms() ffi.C.clock_gettime(1, bp_ts); return tonumber(bp_ts.tv_sec) * 1000 + tonumber(bp_ts.tv_nsec) / 1e6 end
`;

/**
 * Lua: \`delay()\` that holds each request to its slot in a schedule of \`rate\` requests per second
 * (for this wrk thread), so that the offered rate is fixed (an open schedule: a slow server shows as
 * requests sent late, i.e. a lower accepted rate, never as a silently lower offer).
 */
export function luaPacing(ratePerThread: number): string {
  return `${LUA_CLOCK}
local bp_interval = ${1000 / ratePerThread}
local bp_start = nil
local bp_sent = 0
function delay()
  local now = bp_now_ms()
  if bp_start == nil then bp_start = now end
  bp_sent = bp_sent + 1
  local due = bp_start + bp_sent * bp_interval
  if due > now then return due - now end
  return 0
end
`;
}

/** Lua: counts responses by status per thread, and \`done\` prints them with the latency figures as one JSON line. */
const LUA_REPORT = `
local bp_threads = {}
local bp_user_setup = setup
function setup(thread)
  table.insert(bp_threads, thread)
  if bp_user_setup then bp_user_setup(thread) end
end
bp_statuses = {}
local bp_user_response = response
function response(status, headers, body)
  bp_statuses[status] = (bp_statuses[status] or 0) + 1
  if bp_user_response then bp_user_response(status, headers, body) end
end
function done(summary, latency, requests)
  local counts = {}
  for _, t in ipairs(bp_threads) do
    local s = t:get("bp_statuses")
    for code, n in pairs(s) do counts[tostring(code)] = (counts[tostring(code)] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(counts) do table.insert(parts, string.format('"%s":%d', code, n)) end
  io.write(string.format('BP-WRK {"requests":%d,"durationUs":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"timeouts":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d,"meanUs":%f,"statuses":{%s}}\\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean, table.concat(parts, ",")))
end
`;

export interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  /** Latency in ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  statuses: Record<string, number>;
  /** Socket errors and timeouts. */
  errors: number;
  /** CPU time wrk used (ms), and as a share of one core over the run. */
  generatorCpuMs: number;
  generatorCores: number;
}

export interface WrkOptions {
  url: string;
  /** The request-making part of the script (request(), init(), globals); the reporting is appended. */
  script: string;
  connections: number;
  seconds: number;
  threads?: number;
  /** Where the script is written. */
  scriptFile: string;
  /** Per-request timeout (default 10 s). */
  timeoutSeconds?: number;
  /**
   * Stop as soon as the script prints a line \`BP-DONE\` (a fixed list of requests answered): wrk
   * then reports the time actually taken instead of \`seconds\`, which becomes an upper bound.
   */
  untilDone?: boolean;
}

/** Whether wrk is installed (`.ci/run` installs it; `apt-get install wrk` elsewhere). */
export function haveWrk(): boolean {
  return existsSync(WRK);
}

/** Runs wrk once and parses its report. */
export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  if (!haveWrk()) throw new Error(`${WRK} is missing: install Debian's wrk package (apt-get install wrk)`);
  writeFileSync(options.scriptFile, `${options.script}\n${LUA_REPORT}`);
  const threads = options.threads ?? 1;
  const args = [`-t${threads}`, `-c${Math.max(threads, options.connections)}`, `-d${options.seconds}s`, `--timeout`, `${options.timeoutSeconds ?? 10}s`, '-s', options.scriptFile, options.url];
  const child = spawn(WRK, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    // wrk stops on SIGINT and reports what it did so far.
    if (options.untilDone && out.includes('BP-DONE\n') && !child.killed) child.kill('SIGINT');
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let cpuMs = 0;
  // Sampled until it exits: /proc forgets a process once it is reaped.
  const sampler = setInterval(() => {
    try {
      cpuMs = processCpuMs(child.pid!);
    } catch {
      // Exited between two samples.
    }
  }, 200);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  const line = out.split('\n').find((l) => l.startsWith('BP-WRK '));
  if (code !== 0 || line === undefined) throw new Error(`wrk failed (exit ${code}): ${err || out}`);
  const r = JSON.parse(line.slice('BP-WRK '.length)) as { requests: number; durationUs: number; connectErrors: number; readErrors: number; writeErrors: number; timeouts: number; p50Us: number; p90Us: number; p99Us: number; maxUs: number; meanUs: number; statuses: Record<string, number> };
  const seconds = r.durationUs / 1e6;
  return {
    requests: r.requests,
    seconds,
    rps: r.requests / seconds,
    p50: r.p50Us / 1000,
    p90: r.p90Us / 1000,
    p99: r.p99Us / 1000,
    max: r.maxUs / 1000,
    mean: r.meanUs / 1000,
    statuses: r.statuses,
    errors: r.connectErrors + r.readErrors + r.writeErrors + r.timeouts,
    generatorCpuMs: cpuMs,
    generatorCores: cpuMs / 1000 / seconds,
  };
}

/** Lua string literal. */
export function luaString(s: string): string {
  return JSON.stringify(s);
}
