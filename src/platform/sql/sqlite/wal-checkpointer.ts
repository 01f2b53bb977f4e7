import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { WalSync } from './wal-sync.js';

export interface WalCheckpointerOptions {
  /** How often the thread checkpoints (default 100 ms). */
  intervalMs?: number;
  /** Syncs of the log before the thread is started (default 100): a database barely written to never pays for a thread. */
  startAfterSyncs?: number;
  /** Turns the connection's own automatic checkpoints off (once the thread runs) or back on (if it stops). */
  setAutocheckpoint: (pages: number) => void;
}

/** What the thread reports after each checkpoint: `PRAGMA wal_checkpoint`'s frames in the log and frames checkpointed. */
interface Report {
  log: number;
  checkpointed: number;
}

// The thread's code, plain JavaScript evaluated in the thread (no loader needed from sources or
// from the build). PASSIVE neither waits for nor blocks readers and writers; a checkpoint that
// finds another one running reports busy and is tried on the next tick.
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.filename);
db.pragma('busy_timeout = 0');
db.pragma('synchronous = NORMAL');
const tick = () => {
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ log: row.log, checkpointed: row.checkpointed });
  } catch (error) {
    if (error.code !== 'SQLITE_BUSY' && error.code !== 'SQLITE_LOCKED') throw error;
  }
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints a WAL-mode database on a thread of its own. SQLite's automatic checkpoint runs in
 * the connection that commits past 1,000 pages of log: on the API's event loop, where it copies
 * the log into the database file and syncs both (two fsyncs that block every request in flight:
 * measured, the creation benchmark's p99 fell by a third without them). Once started, the
 * connection's automatic checkpoints are off and this thread does them every `intervalMs`; if it
 * stops for any reason other than `close`, they are turned back on, so the log never grows unbounded.
 */
export class WalCheckpointer {
  readonly #filename: string;
  readonly #intervalMs: number;
  readonly #startAfterSyncs: number;
  readonly #setAutocheckpoint: (pages: number) => void;
  #worker: Worker | undefined;
  #syncs = 0;
  #closed = false;
  /** The last checkpoint's report (for tests). */
  readonly stats: { last: Report } = { last: { log: 0, checkpointed: 0 } };

  constructor(filename: string, options: WalCheckpointerOptions) {
    this.#filename = filename;
    this.#intervalMs = options.intervalMs ?? 100;
    this.#startAfterSyncs = options.startAfterSyncs ?? 100;
    this.#setAutocheckpoint = options.setAutocheckpoint;
  }

  /** Whether the thread runs. */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  /** Called after each sync of the log; starts the thread once the database is written to in earnest. */
  noteSync(): void {
    if (this.#worker !== undefined || this.#closed || ++this.#syncs < this.#startAfterSyncs) return;
    this.#start();
  }

  #start(): void {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(THREAD, { eval: true, workerData: { filename: this.#filename, driver, intervalMs: this.#intervalMs } });
    worker.unref();
    worker.on('message', (report: Report) => (this.stats.last = report));
    // An error is followed by 'exit'; the connection checkpoints for itself again.
    worker.on('error', () => {});
    worker.once('exit', () => {
      if (this.#worker === worker) this.#worker = undefined;
      if (!this.#closed) this.#setAutocheckpoint(1000);
    });
    this.#worker = worker;
    this.#setAutocheckpoint(0);
  }

  /** Stops the thread (its connection closes; the database's last connection checkpoints as it closes). */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    if (worker === undefined) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('close');
    const timer = setTimeout(() => void worker.terminate(), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * What a connection committing at NORMAL needs for the durability of FULL without blocking its
 * thread: its log synced on the thread pool before a write is acknowledged (WalSync), and its
 * checkpoints made on a thread of their own once it is written to in earnest (WalCheckpointer).
 */
export function offThreadDurability(connection: Database.Database, filename: string, checkpoints: Omit<WalCheckpointerOptions, 'setAutocheckpoint'> = {}): { sync: WalSync; checkpointer: WalCheckpointer } {
  const checkpointer = new WalCheckpointer(filename, {
    ...checkpoints,
    setAutocheckpoint: (pages) => {
      if (connection.open) connection.pragma(`wal_autocheckpoint = ${pages}`);
    },
  });
  return { sync: new WalSync(filename, () => checkpointer.noteSync()), checkpointer };
}
