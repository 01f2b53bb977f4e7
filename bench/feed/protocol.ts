/**
 * The IPC protocol between bench/feed.bench.ts and its server process (bench/servers/feed.server.ts),
 * and the helper that starts that process and calls it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { StatementStat } from './instrument.js';

export type Request =
  | { id: number; cmd: 'prepare'; firstUserId: number; users: number; /** The file of writeFollowLists. */ followLists: string }
  | { id: number; cmd: 'begin'; profile: boolean }
  | { id: number; cmd: 'progress' }
  | { id: number; cmd: 'end'; profile: boolean };

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export interface WriteProgress {
  deliveries: number;
  ownPushes: number;
  /** Fan-out messages not yet acknowledged (ready, in flight, delayed). */
  queued: number;
  queueLagMs: number;
  /** The other consumer groups' messages (search, notifications, on the worker thread) not yet acknowledged. */
  otherQueued: number;
  otherLagMs: number;
  /** Events committed and not yet relayed to the queue. */
  outbox: number;
  lastDeliveryAt: number;
}

export interface WriteReport {
  deliveries: number;
  calls: number;
  ownPushes: number;
  storeMs: number;
  firstAt: number;
  lastAt: number;
  /** Post-to-visible per delivery (ms). */
  p50: number;
  p99: number;
  max: number;
  /** Tweets whose fan-out delivered at least one batch, and post-to-last-batch per tweet (ms). */
  tweetsDelivered: number;
  completionP50: number;
  completionP99: number;
  /** Process CPU (every thread) between begin and end. */
  cpuMs: number;
  /** Main-thread time the benchmark's own progress polls took (queue stats, outbox count). */
  pollingMs: number;
  statements: StatementStat[];
  /** Main-thread CPU profile: self time per category (ms), largest first. */
  profile: { totalMs: number; byCategory: [string, number][] } | undefined;
}

type Call = { [K in Request['cmd']]: (args: Omit<Extract<Request, { cmd: K }>, 'id' | 'cmd'>) => Promise<unknown> };

export interface FeedServer {
  child: ChildProcess;
  baseUrl: string;
  call<K extends Request['cmd']>(cmd: K, args: Parameters<Call[K]>[0]): Promise<unknown>;
  stop(): Promise<void>;
}

/** Starts the benchmark server (TypeScript through tsx) with `env`, its output going to `logFile`. */
export async function startFeedServer(env: Record<string, string>, logFile: string, timeoutMs = 120_000): Promise<FeedServer> {
  const out = openSync(logFile, 'a');
  const child = fork('bench/servers/feed.server.ts', [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', out, 'inherit', 'ipc'],
  });
  closeSync(out);
  let exited = false;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.once('exit', (code) => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error(`the feed server exited (${code}); see ${logFile}`));
    pending.clear();
  });
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the feed server did not start within ${timeoutMs} ms; see ${logFile}`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the feed server exited (${code}) before listening; see ${logFile}`));
    });
    child.once('message', (m: { ready?: boolean; address?: string }) => {
      clearTimeout(timer);
      if (m.ready && m.address) resolve(m.address);
      else reject(new Error(`unexpected first message ${JSON.stringify(m)}`));
    });
  });
  child.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    if (p === undefined) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(`feed server: ${m.error}`));
  });
  let nextId = 1;
  return {
    child,
    baseUrl: address,
    call(cmd, args) {
      if (exited) return Promise.reject(new Error('the feed server is not running'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, cmd, ...args });
      });
    },
    stop: () =>
      new Promise<void>((done) => {
        if (exited) return done();
        const force = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.once('exit', () => {
          clearTimeout(force);
          done();
        });
        child.kill('SIGTERM');
      }),
  };
}
