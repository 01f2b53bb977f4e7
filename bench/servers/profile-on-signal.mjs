// @ts-check
/**
 * Preloaded into a benchmarked server (`node --import ./bench/servers/profile-on-signal.mjs`): each
 * SIGUSR2 starts, then stops, a CPU profile of the main thread, written to BENCH_PROFILE_DIR as
 * `<time>.cpuprofile` (Chrome DevTools or bench/feed's summaries read it). So a benchmark profiles
 * one phase of a server that keeps running, warm, without anything in the server's own code.
 * Plain JavaScript: the server runs compiled, without a TypeScript loader, and its worker threads
 * inherit this preload (they are left alone: the profile is the main thread's).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.BENCH_PROFILE_DIR;
if (dir !== undefined && isMainThread) {
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  /** @type {(method: string, params?: object) => Promise<any>} */
  const post = (method, params = {}) =>
    new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  let running = false;
  process.on('SIGUSR2', () => {
    void (async () => {
      if (!running) {
        running = true;
        await post('Profiler.enable');
        await post('Profiler.setSamplingInterval', { interval: 500 });
        await post('Profiler.start');
        return;
      }
      running = false;
      const { profile } = await post('Profiler.stop');
      await post('Profiler.disable');
      writeFileSync(join(dir, `${Date.now()}.cpuprofile`), JSON.stringify(profile));
    })();
  });
}
