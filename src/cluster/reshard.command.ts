import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { feedShardStatus, reshardFeed, type FeedShardSpec } from '../modules/feed/index.js';
import { openPostgres } from '../composition/adapters.js';
import type { SqlDatabase } from '../platform/sql/index.js';
import type { ReshardProgress } from '../platform/sharding/index.js';

/** Runs `work` on the main database and the configured shards (as the API processes see them), closed after. */
async function withShards(work: (main: SqlDatabase, spec: FeedShardSpec) => Promise<number>): Promise<number> {
  const config = loadConfig();
  if (config.DATABASE_URL === undefined || config.feedShards.length === 0) {
    process.stderr.write("set DATABASE_URL and FEED_SHARDS (the same as the API processes')\n");
    return 2;
  }
  // A command needs few connections: the adapters come from the one place that picks them.
  const at = (url: string, schema: string | undefined) => openPostgres(config, url, { schema, poolSize: 4 });
  const main = at(config.DATABASE_URL, config.DATABASE_SCHEMA);
  const shards = new Map(config.feedShards.map((s) => [s.name, at(s.url, s.schema)] as const));
  try {
    return await work(main, { shards, vnodes: config.FEED_SHARD_VNODES });
  } finally {
    await Promise.allSettled([main, ...shards.values()].map((d) => d.close()));
  }
}

/** `blueprint shards`: the feed's ring and the rows on each configured shard. */
export function shardsCommand(): Promise<number> {
  return withShards(async (main, spec) => {
    const { ring, shards } = await feedShardStatus(main, spec);
    process.stdout.write(`ring ${ring === null ? 'none yet (start the API with FEED_SHARDS)' : `v${ring.version}: ${ring.shards.join(', ')} (${ring.vnodes ?? 160} points each)`}\n`);
    for (const s of shards) {
      process.stdout.write(`  ${s.name.padEnd(12)} ${s.routed ? 'routed  ' : 'unrouted'}  ring row v${s.ringVersion ?? '-'}  ${s.tweets} tweets  ${s.likes} likes\n`);
    }
    return 0;
  });
}

/**
 * `blueprint reshard --add NAME`: puts a configured shard on the feed's ring, online, and moves to
 * it only the authors it now owns. Progress on stderr, the report as JSON on stdout.
 */
export async function reshardCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { add: { type: 'string' }, 'cleanup-delay-ms': { type: 'string' }, batch: { type: 'string' } } });
  const delay = values['cleanup-delay-ms'] === undefined ? 5_000 : Number(values['cleanup-delay-ms']);
  const batch = values.batch === undefined ? 1_000 : Number(values.batch);
  if (values.add === undefined) return usage('--add NAME is required: the shard (configured in FEED_SHARDS) to put on the ring');
  if (!Number.isInteger(delay) || delay < 0 || delay > 600_000) return usage('--cleanup-delay-ms must be an integer from 0 to 600000');
  if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) return usage('--batch must be an integer from 1 to 10000');
  const shard = values.add;
  let last = { at: 0, step: '' };
  const progress = (p: ReshardProgress) => {
    // A line when a step (phase, table, shard) starts, else at most one a second.
    const now = Date.now();
    const step = `${p.phase} ${p.table} ${p.shard}`;
    if (step === last.step && now - last.at < 1_000) return;
    last = { at: now, step };
    process.stderr.write(`${p.phase.padEnd(9)} ${p.table.padEnd(6)} shard ${p.shard}: ${p.rows} rows${p.keys > 0 ? `, ${p.keys} authors` : ''}\n`);
  };
  return withShards(async (main, spec) => {
    const started = performance.now();
    process.stderr.write(`adding shard ${shard}; writes of the old shards pause only for the catch-up\n`);
    const report = await reshardFeed(main, spec, { shard, cleanupDelayMs: delay, batchSize: batch, onProgress: progress });
    process.stdout.write(`${JSON.stringify({ ...report, seconds: Number(((performance.now() - started) / 1000).toFixed(2)) })}\n`);
    process.stderr.write(`ring v${report.to.version}: ${report.to.shards.join(', ')}; writes were held ${report.fencedMs.toFixed(0)} ms\n`);
    return 0;
  });
}

function usage(message: string): number {
  process.stderr.write(`${message}\nusage: blueprint reshard --add NAME [--cleanup-delay-ms 5000] [--batch 1000]\n`);
  return 2;
}
