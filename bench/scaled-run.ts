import { Redis } from 'ioredis';
import pg from 'pg';
import { deleteKeys } from '../src/platform/redis/testing/redis-keys.js';
import { deleteTrackedQueues, TrackedQueue } from '../src/platform/queue/rabbitmq/testing/rabbitmq-test-kit.js';
import { SERVICES } from '../test/helpers/services.js';

/**
 * A benchmark's run on the machine's PostgreSQL, Redis and RabbitMQ, kept apart from everything
 * else by its name: a schema, a key prefix and a queue prefix of its own.
 */
export function scaledRunEnv(run: string): Record<string, string> {
  return { DATABASE_URL: SERVICES.postgres, DATABASE_SCHEMA: run, REDIS_URL: SERVICES.redis, REDIS_PREFIX: `${run}:`, AMQP_URL: SERVICES.rabbitmq, AMQP_PREFIX: run };
}

/** Removes what a run made: its schema, its keys and its queues (of the given topics). */
export async function cleanUpScaledRun(run: string, topics: readonly string[]): Promise<void> {
  const client = new pg.Client({ connectionString: SERVICES.postgres });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${run}" cascade`);
  } finally {
    await client.end();
  }
  const redis = new Redis(SERVICES.redis);
  try {
    await deleteKeys(redis, `${run}:*`);
  } finally {
    await redis.quit();
  }
  TrackedQueue.prefixes.add(run);
  for (const topic of topics) TrackedQueue.topics.add(topic);
  await deleteTrackedQueues();
}
