/**
 * Preloaded into a benchmarked server (`node --import ./bench/servers/profile-on-signal.ts`): each
 * SIGUSR2 starts, then stops, a CPU profile of the main thread, written to BENCH_PROFILE_DIR as
 * `<time>.cpuprofile` (Chrome DevTools or bench/feed's summaries read it). So a benchmark profiles
 * one phase of a server that keeps running, warm, without anything in the server's own code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
if (dir !== undefined) {
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
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
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      await post('Profiler.disable');
      writeFileSync(join(dir, `${Date.now()}.cpuprofile`), JSON.stringify(profile));
    })();
  });
}
