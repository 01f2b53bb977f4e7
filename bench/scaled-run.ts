import { readdirSync, readFileSync } from 'node:fs';
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

/**
 * A warning when a streaming replica of the machine's PostgreSQL is running (the replica suites
 * leave theirs up: `scripts/pg-replica.sh stop` removes it): it replays every write, and its CPU
 * counts as PostgreSQL's, so the services' CPU per stored click doubles (50 against 23 µs).
 */
export function replicaWarning(): string | undefined {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    } catch {
      continue;
    }
    if (cmdline.startsWith('postgres: ') && cmdline.includes('walreceiver')) {
      return 'WARNING: a PostgreSQL streaming replica is running on this machine (the test suites\' one?): it replays every write and its CPU counts as PostgreSQL\'s; stop it first (scripts/pg-replica.sh stop) for figures comparable with docs/benchmarks.md';
    }
  }
  return undefined;
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
