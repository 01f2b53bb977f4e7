import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import { assembleWorker } from '../composition/worker.js';
import type { FromWorker, ToWorker } from './worker.messages.js';
import { LoadSignal } from '../lib/load-signal.js';

/**
 * The worker role inside the embedded process: queue consumers on a thread of their own, with
 * their own database connections, so that storing clicks never competes with redirects for the
 * main event loop.
 */
const port = parentPort;
if (port === null) throw new Error('worker.thread must run as a worker thread');
const post = (m: FromWorker) => port.postMessage(m);

try {
  const config = workerData.config as Config;
  // On Linux the nice value is per thread: this lowers only this thread, so that under saturation
  // redirects win the CPU and clicks wait in the durable queue (load levelling), then catch up.
  try {
    setPriority(0, config.WORKER_NICE);
  } catch {
    // Not permitted or not supported: run at normal priority.
  }
  // The main thread's metrics count this thread's connections too.
  const registry = new Registry();
  const worker = await assembleWorker(config, { onConnection: (event) => post({ type: 'connection', event }), registry, load: new LoadSignal(workerData.load as SharedArrayBuffer) });
  const log = worker.context.logger.child({ thread: 'worker' });
  port.on('message', (m: ToWorker) => {
    if (m.type === 'metrics') {
      void registry.metrics().then((text) => post({ type: 'metrics', id: m.id, text }));
    } else if (m.type === 'stop') {
      void (async () => {
        try {
          await worker.close();
        } catch (error) {
          log.error({ err: error }, 'worker shutdown failed');
        }
        post({ type: 'stopped' });
      })();
    }
  });
  log.info('worker thread consuming');
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
}
