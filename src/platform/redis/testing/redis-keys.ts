import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { SERVICES } from '../../../../test/helpers/services.js';

/** Deletes the keys matching `pattern` (a test run's prefix), in bounded SCAN pages. */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  for (let i = 0; i < 10_000; i++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
    if (cursor === '0') return;
  }
}

/**
 * The Redis fixture of the adapter suites: key prefixes unique per run (parallel runs on one Redis
 * never meet), and `open()`, which gives the suite an admin client before it and deletes the run's
 * keys and quits after it. Call `open` inside the suite's `describe`.
 */
export function redisFixture(name: string) {
  const run = `${name}:${process.pid}:${Date.now().toString(36)}:`;
  let tests = 0;
  return {
    run,
    nextPrefix: () => `${run}${++tests}:`,
    open(onOpen: (redis: Redis) => void): void {
      let redis: Redis | undefined;
      beforeAll(async () => {
        redis = new Redis(SERVICES.redis, { maxRetriesPerRequest: 2 });
        await redis.ping();
        onOpen(redis);
      });
      afterAll(async () => {
        if (redis === undefined) return;
        await deleteKeys(redis, `${run}*`);
        await redis.quit();
      });
    },
  };
}
