// Preloaded into a benchmarked server (`node --expose-gc --import ./bench/chat/memory-probe.mjs`):
// on SIGWINCH it writes the process's memory use to BENCH_MEMORY_FILE (JSON), as it is and after
// a full garbage collection, so that bench:chat can tell the live JavaScript heap per connection
// from the rest of the RSS (socket buffers, native handles, heap not yet collected). Plain
// JavaScript, not TypeScript: loading it must not put tsx's loader in front of the compiled server.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_MEMORY_FILE;
if (file !== undefined) {
  process.on('SIGWINCH', () => {
    const held = process.memoryUsage();
    globalThis.gc?.();
    const collected = process.memoryUsage();
    writeFileSync(file, JSON.stringify({ at: Date.now(), held, collected }));
  });
}
