import type { ConnectionEvent } from '../observability/metrics.js';

/** Messages from the main thread to the worker thread. */
export type ToWorker = { type: 'metrics'; id: number } | { type: 'stop' };

/** Messages from the worker thread to the main thread. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'metrics'; id: number; text: string }
  | { type: 'stopped' }
  | { type: 'connection'; event: ConnectionEvent }
  | { type: 'failed'; message: string };
