import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { LoadSignal } from '../lib/load-signal.js';
import type { ConnectionEvent } from '../observability/metrics.js';
import type { FromWorker, ToWorker } from './worker.messages.js';

/** The main thread's handle on the worker thread. */
export interface WorkerHandle {
  /** True while the thread runs its consumers. */
  readonly alive: boolean;
  /** The thread's Prometheus text. */
  metrics(): Promise<string>;
  /** Lets in-hand messages finish, closes the thread's connections, ends the thread. */
  stop(): Promise<void>;
}

const RESTART_DELAY_MS = 1_000;

// Under the test runner the sources are TypeScript; built, they are JavaScript.
const fromSource = import.meta.url.endsWith('.ts');

/** A thread running the worker entry; from sources, through tsx's loader registered in the thread. */
function newWorker(config: Config, load: LoadSignal): Worker {
  const workerData = { config, load: load.buffer };
  if (!fromSource) return new Worker(new URL('./worker.thread.js', import.meta.url), { workerData });
  const entry = new URL('./worker.thread.ts', import.meta.url).href;
  // Evaluated code resolves `tsx` from the working directory: the repository, when running from sources.
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

/**
 * Starts the worker thread and keeps it running: if it dies it is started again after a pause
 * (messages it had in hand are redelivered by the queue).
 */
export async function startWorkerThread(config: Config, logger: Logger, load: LoadSignal, onConnection: (event: ConnectionEvent) => void = () => {}): Promise<WorkerHandle> {
  let worker: Worker;
  let alive = false;
  let stopping = false;
  let nextId = 0;
  const pending = new Map<number, (text: string) => void>();

  const spawn = () =>
    new Promise<void>((resolve, reject) => {
      worker = newWorker(config, load);
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          alive = true;
          resolve();
        } else if (m.type === 'metrics') {
          pending.get(m.id)?.(m.text);
          pending.delete(m.id);
        } else if (m.type === 'connection') {
          onConnection(m.event);
        } else if (m.type === 'failed') {
          reject(new Error(`worker thread failed to start: ${m.message}`));
        }
      });
      worker.on('error', (err) => logger.error({ err }, 'worker thread error'));
      worker.on('exit', (code) => {
        const wasAlive = alive;
        alive = false;
        if (stopping) return;
        if (!wasAlive) {
          reject(new Error(`worker thread exited with code ${code} before it was ready`));
          return;
        }
        logger.error({ code }, 'worker thread exited; restarting');
        setTimeout(() => void spawn().catch((err) => logger.error({ err }, 'worker thread restart failed')), RESTART_DELAY_MS).unref();
      });
    });

  await spawn();
  return {
    get alive() {
      return alive;
    },
    metrics() {
      if (!alive) return Promise.resolve('');
      const id = nextId++;
      return new Promise<string>((resolve) => {
        pending.set(id, resolve);
        worker.postMessage({ type: 'metrics', id } satisfies ToWorker);
        setTimeout(() => {
          if (pending.delete(id)) resolve('');
        }, 1_000).unref();
      });
    },
    async stop() {
      stopping = true;
      if (!alive) return;
      await new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.on('message', (m: FromWorker) => {
          if (m.type === 'stopped') void worker.terminate();
        });
        worker.postMessage({ type: 'stop' } satisfies ToWorker);
      });
      alive = false;
    },
  };
}
