/**
 * The server of `bench:feed`: the real runtime (`startRuntime`, as `npm start` runs it: API and
 * fan-out on the main thread, the other consumers on the worker thread) with the benchmark's
 * instruments attached from outside (bench/feed/instrument.ts), driven over an IPC channel by
 * bench/feed.bench.ts. Configuration comes from the environment, as for src/server.ts.
 */
import { loadConfig } from '../../src/config/index.js';
import { FEED_EVENT_GROUPS } from '../../src/modules/feed/index.js';
import { snowflakeTime } from '../../src/platform/ids/index.js';
import { SqliteDatabase } from '../../src/platform/sql/sqlite/sqlite-database.js';
import { MemoryTimelineStore, type TimelineEntry, type TimelineStore } from '../../src/platform/timelines/index.js';
import { startRuntime } from '../../src/runtime.js';
import { readFollowLists } from '../feed/seed.js';
import { CpuProfiler, instrumentPushes, timeStatements, type StatementStat } from '../feed/instrument.js';
import type { Reply, Request, WriteProgress, WriteReport } from '../feed/protocol.js';

const config = loadConfig();
const runtime = await startRuntime(config);
const { container } = runtime;
const timelines = (container as { timelines?: TimelineStore }).timelines;
if (timelines === undefined) throw new Error('this runtime does not wire the feed (no container.timelines)');
if (!(container.sql instanceof SqliteDatabase)) throw new Error('bench:feed measures the embedded SQLite topology');

const pushes = instrumentPushes(timelines, snowflakeTime, timelines instanceof MemoryTimelineStore);
// Inline fan-out (the in-process store) delivers without `push`: the feed reports its deliveries.
if (container.feed.fanoutMode === 'inline') container.feed.listen({ onDelivered: (count, postedAt) => pushes.delivered(count, postedAt) });
// Statements of the benchmark's own (the timeline preparation) are not timed.
const untimed = container.sql.raw.prepare.bind(container.sql.raw);
const statements = timeStatements(container.sql.raw);
const profiler = process.env.BENCH_PROFILE === '0' ? undefined : new CpuProfiler();
let cpuAtBegin = process.cpuUsage();
/** Main-thread time spent answering the benchmark's progress polls since `begin`. */
let pollingMs = 0;
let statementsAtBegin = new Map<string, StatementStat>();

const snapshot = () => new Map([...statements].map(([k, s]) => [k, { ...s }]));

function statementDelta(): StatementStat[] {
  return [...statements.values()]
    .map((s) => {
      const before = statementsAtBegin.get(s.kind);
      return { kind: s.kind, calls: s.calls - (before?.calls ?? 0), ms: s.ms - (before?.ms ?? 0), rows: s.rows - (before?.rows ?? 0) };
    })
    .filter((s) => s.calls > 0)
    .sort((a, b) => b.ms - a.ms);
}

async function handle(request: Request): Promise<unknown> {
  switch (request.cmd) {
    case 'prepare': {
      // Every active user has a cached timeline, as after their last read: built here from the
      // database's tweets and the seeded follow lists (what a rebuild would hold: the newest
      // fanned-out tweets of the authors they follow and their own, up to the capacity), rather
      // than by 100,000 rebuilds through the read path. The history is posted in rounds (every
      // user once, then again...), so the newest entries are the last round's, by author id descending.
      const start = performance.now();
      const { firstUserId, users } = request;
      const bigIds = Array.from({ length: users }, (_, i) => BigInt(firstUserId + i));
      /** Per user index: their fanned-out tweet ids, oldest first. */
      const pushedBy: bigint[][] = Array.from({ length: users }, () => []);
      let pushed = 0;
      const tweets = untimed('select author_id, id from tweets where pushed = 1 and deleted_at is null order by id').raw(true).safeIntegers(true);
      for (const [author, id] of tweets.iterate() as IterableIterator<[bigint, bigint]>) {
        pushedBy[Number(author) - firstUserId]?.push(id);
        pushed++;
      }
      const { offsets, followees } = pushed > 0 ? readFollowLists(request.followLists) : { offsets: new Int32Array(users + 1), followees: new Int32Array(0) };
      const capacity = timelines!.capacity;
      let entriesTotal = 0;
      for (let user = 0; user < users; user++) {
        const entries: TimelineEntry[] = [];
        if (pushed > 0) {
          const authors = Array.from(followees.subarray(offsets[user]!, offsets[user + 1]!));
          authors.push(user);
          authors.sort((a, b) => b - a);
          const rounds = authors.reduce((m, a) => Math.max(m, pushedBy[a]!.length), 0);
          for (let r = rounds - 1; r >= 0 && entries.length < capacity; r--) {
            for (const a of authors) {
              const id = pushedBy[a]![r];
              if (id !== undefined) entries.push({ tweetId: id, authorId: bigIds[a]! });
            }
          }
        }
        entriesTotal += Math.min(capacity, entries.length);
        await timelines!.replace(bigIds[user]!, entries);
      }
      return { timelines: await timelines!.size(), entries: entriesTotal, ms: performance.now() - start };
    }
    case 'begin': {
      pushes.reset();
      statementsAtBegin = snapshot();
      cpuAtBegin = process.cpuUsage();
      pollingMs = 0;
      if (request.profile) await profiler?.start();
      return {};
    }
    case 'progress': {
      const started = performance.now();
      const s = pushes.stats();
      const queue = await container.queue.stats('feed.fanout');
      const others = await Promise.all(FEED_EVENT_GROUPS.filter((t) => t !== 'feed.fanout').map((t) => container.queue.stats(t)));
      const outbox = untimed('select count(*) as n from outbox').get() as { n: number };
      const progress: WriteProgress = {
        deliveries: s.deliveries,
        ownPushes: s.ownPushes,
        queued: queue.ready + queue.inFlight + queue.delayed,
        queueLagMs: queue.oldestAgeMs,
        otherQueued: others.reduce((n, q) => n + q.ready + q.inFlight + q.delayed, 0),
        otherLagMs: Math.max(0, ...others.map((q) => q.oldestAgeMs)),
        outbox: outbox.n,
        lastDeliveryAt: s.lastAt,
      };
      pollingMs += performance.now() - started;
      return progress;
    }
    case 'end': {
      const cpu = process.cpuUsage(cpuAtBegin);
      const profile = request.profile && profiler !== undefined ? await profiler.stop() : undefined;
      const s = pushes.stats();
      const completion = [...s.completedAt].map(([id, at]) => at - snowflakeTime(id)).sort((a, b) => a - b);
      const at = (q: number) => (completion.length === 0 ? NaN : completion[Math.min(completion.length - 1, Math.floor(q * completion.length))]!);
      const report: WriteReport = {
        deliveries: s.deliveries,
        calls: s.calls,
        ownPushes: s.ownPushes,
        storeMs: s.storeMs,
        firstAt: s.firstAt,
        lastAt: s.lastAt,
        p50: s.latency.quantile(0.5),
        p99: s.latency.quantile(0.99),
        max: s.latency.max,
        tweetsDelivered: completion.length,
        completionP50: at(0.5),
        completionP99: at(0.99),
        cpuMs: (cpu.user + cpu.system) / 1000,
        pollingMs,
        statements: statementDelta(),
        profile: profile === undefined ? undefined : { totalMs: profile.totalMs, byCategory: [...profile.byCategory].sort((a, b) => b[1] - a[1]) },
      };
      return report;
    }
  }
}

process.on('message', (message: Request) => {
  handle(message).then(
    (result) => process.send!({ id: message.id, ok: true, result } satisfies Reply),
    (error: unknown) => process.send!({ id: message.id, ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) } satisfies Reply),
  );
});
process.once('SIGTERM', () => void runtime.close().then(() => process.exit(0)));
process.once('disconnect', () => void runtime.close().then(() => process.exit(0)));

const address = await runtime.app.listen({ host: config.HOST, port: config.PORT });
process.send!({ ready: true, address });
