// Preloaded into a benchmarked server (`node --expose-gc --import ./bench/chat/memory-probe.mjs`).
// Plain JavaScript, not TypeScript: loading it must not put tsx's loader in front of the compiled
// server (nor into its worker threads). In the main thread only:
// - SIGWINCH writes the process's memory use to BENCH_MEMORY_FILE (JSON), as it is and after a full
//   garbage collection, so that bench:chat can tell the live JavaScript heap per connection from the
//   rest of the RSS (socket buffers, native handles, heap not yet collected); with BENCH_HEAP_SNAPSHOT
//   set, a heap snapshot is written next to it after the collection (its name in the JSON);
// - SIGUSR2 starts, then stops, a CPU profile of the main thread, written to BENCH_PROFILE_DIR
//   (bench/servers/profile-on-signal.mjs, loaded from here).
import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { writeHeapSnapshot } from 'node:v8';
import '../servers/profile-on-signal.mjs';

const file = process.env.BENCH_MEMORY_FILE;
if (isMainThread && file !== undefined) {
  process.on('SIGWINCH', () => {
    const held = process.memoryUsage();
    globalThis.gc?.();
    const collected = process.memoryUsage();
    const snapshot = process.env.BENCH_HEAP_SNAPSHOT === '1' ? writeHeapSnapshot(`${file}.${Date.now()}.heapsnapshot`) : undefined;
    writeFileSync(file, JSON.stringify({ at: Date.now(), held, collected, snapshot }));
  });
}
