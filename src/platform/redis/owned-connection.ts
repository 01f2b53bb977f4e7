import { Redis, type RedisOptions } from 'ioredis';

/** A client, and how to let go of it: quit one opened from a URL, leave one passed in open. */
export interface Connection {
  readonly redis: Redis;
  close(): Promise<void>;
}

/**
 * The one way every Redis adapter takes its connection. `connection`: an ioredis client (its owner
 * closes it), or a URL to open one this adapter owns, with `maxRetriesPerRequest: 1` (a command
 * fails after one failed reconnection instead of queueing for ioredis's default 20 attempts, so a
 * caller hears of an outage at once) and the given options. `close()` quits only an owned one, once.
 */
export function connect(connection: Redis | string, redisOptions?: RedisOptions): Connection {
  if (typeof connection !== 'string') return { redis: connection, close: async () => {} };
  const redis = new Redis(connection, { maxRetriesPerRequest: 1, ...redisOptions });
  // Failures reach callers as rejections; without a listener ioredis logs each one.
  redis.on('error', () => {});
  let closed = false;
  return {
    redis,
    async close() {
      // Right after QUIT the status still reads 'ready' until the socket closes: a second QUIT would reject.
      if (closed) return;
      closed = true;
      // QUIT needs a live connection; one still trying to reconnect is simply dropped.
      if (redis.status === 'ready') await redis.quit();
      else redis.disconnect();
    },
  };
}
