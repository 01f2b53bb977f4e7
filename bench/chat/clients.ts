/**
 * The coordinator's side of the load-client processes (bench/chat/client.ts): starts them, calls
 * them over IPC, reads their CPU, stops them. Each is a process of its own, so the load client's
 * cost shows apart from the server's and from this coordinator's.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Progress, Reply, Request } from './protocol.js';

type Command = Request extends infer R ? (R extends { cmd: infer C } ? C : never) : never;
type Args<C extends Command> = Omit<Extract<Request, { cmd: C }>, 'id' | 'cmd'>;

export interface ClientProcess {
  index: number;
  pid: number;
  call<C extends Command>(cmd: C, args: Args<C>, timeoutMs?: number): Promise<unknown>;
  /** Called with each progress report of a ramp. */
  onProgress: (p: Progress) => void;
  stop(): Promise<void>;
}

/** Starts one client process (TypeScript through tsx) and waits for it to be ready. */
export async function startClient(index: number): Promise<ClientProcess> {
  const child: ChildProcess = fork('bench/chat/client.ts', [], { execArgv: ['--import', 'tsx', ...(process.env.BENCH_CLIENT_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CLIENT_PROFILE_DIR}`] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let exited = false;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  child.once('exit', (code, signal) => {
    exited = true;
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`load client ${index} exited (${code ?? signal})`));
    }
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`load client ${index} did not start within 30 s`)), 30_000);
    child.once('exit', () => reject(new Error(`load client ${index} exited before it was ready`)));
    child.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const client: ClientProcess = {
    index,
    pid: child.pid!,
    onProgress: () => {},
    call(cmd, args, timeoutMs = 600_000) {
      if (exited) return Promise.reject(new Error(`load client ${index} is not running`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`load client ${index}: ${cmd} did not answer within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        child.send({ id, cmd, ...args });
      });
    },
    stop: () =>
      new Promise<void>((done) => {
        if (exited) return done();
        const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(force);
          done();
        });
        child.kill('SIGTERM');
      }),
  };
  let nextId = 1;
  child.on('message', (m: Reply | Progress) => {
    if ('progress' in m) return client.onProgress(m);
    const p = pending.get(m.id);
    if (p === undefined) return;
    pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(`load client ${index}: ${m.error}`));
  });
  return client;
}
