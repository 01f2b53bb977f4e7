/**
 * Child process for write-behind.crash.test.ts: a write-behind cache whose source is an append-only
 * file (one JSON line per batch), driven over stdin so that the test can kill it mid-way.
 * Usage: node --import tsx write-behind.child.ts <sourceFile> <flushIntervalMs> <maxBatchSize>
 * Reads lines "set <key> <seq>" (answers "ack <key> <seq>" once acknowledged) and "close"
 * (answers "closed" and exits). Prints "flushed <n>" after each batch reaches the file.
 */
import { appendFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { LruCacheAdapter } from '../../memory/lru-cache.adapter.js';
import { WriteBehind } from '../write-behind.js';

const [file, intervalArg, batchArg] = process.argv.slice(2);
if (!file || !intervalArg || !batchArg) throw new Error('usage: write-behind.child.ts <sourceFile> <flushIntervalMs> <maxBatchSize>');

const cache = new LruCacheAdapter({ maxEntries: 10_000 });
const writeBehind = new WriteBehind<number>({
  cache,
  prefix: 'wb:',
  ttlMs: 60_000,
  flushIntervalMs: Number(intervalArg),
  maxBatchSize: Number(batchArg),
  async writeBatch(entries) {
    await appendFile(file, `${JSON.stringify(entries)}\n`);
    process.stdout.write(`flushed ${entries.length}\n`);
  },
});

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const [command, key, seq] = line.split(' ');
  if (command === 'set' && key !== undefined && seq !== undefined) {
    await writeBehind.set(key, Number(seq));
    process.stdout.write(`ack ${key} ${seq}\n`);
  } else if (command === 'close') {
    await writeBehind.close();
    process.stdout.write('closed\n');
    break;
  }
}
lines.close();
await cache.close();
