import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { runPubSubContract } from '../pubsub.contract.js';
import { MemoryPubSub } from './memory-pubsub.js';

runPubSubContract('MemoryPubSub', { open: async (bus) => new MemoryPubSub({ namespace: bus }) });

/** A worker thread that answers every `ping` message with a `pong` carrying the same payload. */
function echoThread(namespace: string): Worker {
  const adapter = new URL('./memory-pubsub.ts', import.meta.url).href;
  const code = `
    const { parentPort } = require('node:worker_threads');
    import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(adapter)}); }).then(({ MemoryPubSub }) => {
      const bus = new MemoryPubSub({ namespace: ${JSON.stringify(namespace)} });
      bus.subscribe('ping', (m) => void bus.publish('pong', { echoed: m, thread: 'worker' }));
      parentPort.on('message', () => void bus.close().then(() => parentPort.close()));
      parentPort.postMessage('ready');
    });`;
  return new Worker(code, { eval: true });
}

describe('MemoryPubSub across threads', () => {
  it('delivers between the threads of one process, both ways', async () => {
    const namespace = `threads-${process.pid}-${Date.now()}`;
    const worker = echoThread(namespace);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('worker did not start')), 20_000);
        worker.once('message', () => (clearTimeout(timer), resolve()));
        worker.once('error', reject);
      });
      const main = new MemoryPubSub({ namespace });
      const other = new MemoryPubSub({ namespace: `${namespace}-other` });
      const got: unknown[] = [];
      const stray: unknown[] = [];
      const answered = new Promise<void>((resolve) =>
        main.subscribe('pong', (m) => {
          got.push(m);
          if (got.length === 3) resolve();
        }),
      );
      other.subscribe('pong', (m) => stray.push(m));
      for (const n of [1, 2, 3]) await main.publish('ping', { n });
      await Promise.race([answered, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${got.length} answers`)), 5_000))]);
      expect(got).toEqual([1, 2, 3].map((n) => ({ echoed: { n }, thread: 'worker' })));
      expect(stray).toEqual([]);
      await Promise.all([main.close(), other.close()]);
    } finally {
      worker.postMessage('stop');
      await Promise.race([new Promise((r) => worker.once('exit', r)), new Promise((r) => setTimeout(r, 2_000))]);
      await worker.terminate();
    }
  });
});
