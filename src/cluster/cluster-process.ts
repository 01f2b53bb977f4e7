import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { nodeFlagsFor } from '../config/node-flags.js';

export type ProcessState = 'starting' | 'up' | 'stopping' | 'exited';

/** The command that runs a server with these roles: the built one next to this file, or the TypeScript source under tsx. */
export function serverCommand(roles: string): { command: string; args: string[] } {
  const here = fileURLToPath(import.meta.url);
  const flags = nodeFlagsFor(roles);
  if (here.endsWith('.ts')) return { command: process.execPath, args: [...flags, '--import', 'tsx', fileURLToPath(new URL('../server.ts', import.meta.url))] };
  return { command: process.execPath, args: [...flags, fileURLToPath(new URL('../server.js', import.meta.url))] };
}

/**
 * One server process of the local cluster: spawned with its own environment, its output appended
 * to a log file, considered up once it logs that it listens. It can be killed and started again
 * (the kill test and the supervisor's restarts do both).
 */
export class ClusterProcess {
  state: ProcessState = 'exited';
  address: string | undefined;
  restarts = 0;
  startedAt = 0;
  lastExit: string | undefined;
  #child: ChildProcess | undefined;
  #log: WriteStream | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly role: string,
    readonly env: Record<string, string>,
    readonly logFile: string | undefined,
  ) {}

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Spawns the process and resolves with its address once it listens; rejects if it exits first or takes too long. */
  start(timeoutMs = 30_000): Promise<string> {
    if (this.state === 'starting' || this.state === 'up') throw new Error(`${this.name} is already running`);
    const { command, args } = serverCommand(this.env.ROLES ?? this.role);
    this.#log ??= this.logFile === undefined ? undefined : createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(command, args, { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.state = 'starting';
    this.startedAt = Date.now();
    this.address = undefined;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + String(d)).slice(-4_000);
      this.#log?.write(d);
    });
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.state = 'exited';
        this.lastExit = signal ?? `code ${code}`;
        resolve();
      }),
    );
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${this.name} did not listen within ${timeoutMs} ms: ${stderr}`));
      }, timeoutMs);
      void this.#exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${this.lastExit}) before listening: ${stderr}`));
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        this.#log?.write(`${line}\n`);
        if (this.state !== 'starting' || !line.includes('"listening"')) return;
        try {
          const entry = JSON.parse(line) as { msg?: string; address?: string };
          if (entry.msg === 'listening' && entry.address !== undefined) {
            clearTimeout(timer);
            this.state = 'up';
            this.address = entry.address;
            resolve(entry.address);
          }
        } catch {
          // Not a log line.
        }
      });
    });
  }

  /** Sends a signal (SIGKILL: a crash; SIGTERM: a graceful stop) and resolves once the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.#child !== undefined && this.state !== 'exited') {
      if (signal !== 'SIGKILL') this.state = 'stopping';
      this.#child.kill(signal);
    }
    await this.#exited;
  }

  /** Resolves when the running process exits (at once when none runs). */
  exited(): Promise<void> {
    return this.#exited;
  }

  closeLog(): void {
    this.#log?.end();
    this.#log = undefined;
  }
}
