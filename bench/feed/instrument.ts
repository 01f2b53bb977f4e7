/**
 * Measuring instruments for the feed benchmark's server process, attached from outside the code
 * they measure (nothing in src/ knows about them):
 * - `timeStatements`: wraps the SQLite connection's `prepare`, so that every statement Kysely
 *   prepares afterwards (the statement cache keeps the wrapper) reports its execution time, by
 *   statement kind;
 * - `instrumentPushes`: wraps a timeline store's `push` to count deliveries, time the store, and
 *   record each delivery's post-to-visible latency (the tweet id is a snowflake: its posting
 *   millisecond is in its high bits);
 * - `CpuProfiler`: V8's sampling profiler on this thread through node:inspector, its samples
 *   summed by what the code is (SQLite, Kysely, the queue, the timeline store, HTTP, GC, idle...).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

// ---------------------------------------------------------------- statements

export interface StatementStat {
  kind: string;
  calls: number;
  ms: number;
  rows: number;
}

/** Statement kinds by SQL text (Kysely's quoted identifiers); the first match names it. */
const KINDS: [RegExp, string][] = [
  [/from "follows" inner join "feed_users"/, 'fan-out follower page (activeFollowers)'],
  [/from "follows" left join "feed_users"/, 'read: followed authors (followingOf)'],
  [/^select .* from "feed_users" where "user_id" = \?/, 'user counts (feed_users by id)'],
  [/^select "pushed"|"pushed", "created_at", "deleted_at" from "tweets" where "id" = \?/, 'tweet facts (fan-out)'],
  [/union all/, 'timeline merge from SQL (latestOfAuthors)'],
  [/^select .* from "tweets" where "id" in/, 'hydrate tweets (liveByIds)'],
  [/from "likes"/, 'likes of a page (likedBy)'],
  [/^insert into "tweets"/, 'insert tweet'],
  [/^insert into "feed_users"/, 'upsert user counts'],
  [/^insert into "outbox"/, 'insert outbox event'],
  [/from "outbox"/, 'outbox relay read/delete'],
  [/^(begin|commit|rollback|savepoint|release)/i, 'begin/commit (fsync)'],
];

export function statementKind(sql: string): string {
  for (const [re, kind] of KINDS) if (re.test(sql)) return kind;
  return `other: ${sql.slice(0, 48)}`;
}

interface RawStatement {
  reader: boolean;
  busy: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  iterate(...params: unknown[]): IterableIterator<unknown>;
}

/** Wraps `raw.prepare` (a better-sqlite3 Database); returns the live table of statement times. */
export function timeStatements(raw: { prepare(sql: string): unknown }): Map<string, StatementStat> {
  const stats = new Map<string, StatementStat>();
  const original = raw.prepare.bind(raw);
  raw.prepare = (sql: string) => {
    const inner = original(sql) as RawStatement;
    const kind = statementKind(sql);
    let stat = stats.get(kind);
    if (stat === undefined) stats.set(kind, (stat = { kind, calls: 0, ms: 0, rows: 0 }));
    const s = stat;
    return {
      get reader() {
        return inner.reader;
      },
      get busy() {
        return inner.busy;
      },
      all(...params: unknown[]) {
        const t0 = performance.now();
        const rows = inner.all(...params);
        s.ms += performance.now() - t0;
        s.calls++;
        s.rows += rows.length;
        return rows;
      },
      run(...params: unknown[]) {
        const t0 = performance.now();
        const result = inner.run(...params);
        s.ms += performance.now() - t0;
        s.calls++;
        return result;
      },
      get(...params: unknown[]) {
        const t0 = performance.now();
        const row = inner.get(...params);
        s.ms += performance.now() - t0;
        s.calls++;
        if (row !== undefined) s.rows++;
        return row;
      },
      // Streaming reads are timed by their consumer; counted only.
      iterate(...params: unknown[]) {
        s.calls++;
        return inner.iterate(...params);
      },
    };
  };
  return stats;
}

// ---------------------------------------------------------------- deliveries

/** Post-to-visible latencies, weighted, in 1 ms buckets up to a bound. */
export class LatencyHistogram {
  readonly #counts: Float64Array;
  total = 0;
  max = 0;

  constructor(maxMs = 600_000) {
    this.#counts = new Float64Array(maxMs + 1);
  }

  add(ms: number, weight: number): void {
    const i = Math.min(this.#counts.length - 1, Math.max(0, Math.round(ms)));
    this.#counts[i]! += weight;
    this.total += weight;
    if (ms > this.max) this.max = ms;
  }

  quantile(q: number): number {
    if (this.total === 0) return NaN;
    const want = q * this.total;
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!;
      if (seen >= want) return i;
    }
    return this.max;
  }
}

export interface PushStats {
  /** Timeline entries pushed by fan-out (each follower reached, and the author's own timeline). */
  deliveries: number;
  /** Store calls by fan-out. */
  calls: number;
  /** The posting request's own push to the author (read-your-writes), counted apart. */
  ownPushes: number;
  /** Time inside the store's push (ms), all calls. */
  storeMs: number;
  firstAt: number;
  lastAt: number;
  latency: LatencyHistogram;
  /** Per tweet: when its last batch was delivered (epoch ms), for fan-out completion times. */
  completedAt: Map<bigint, number>;
}

interface PushTarget {
  push(userIds: readonly bigint[], entry: { tweetId: bigint; authorId: bigint }): Promise<void>;
}

/**
 * Wraps `store.push`. `postedAt(tweetId)` gives the posting time. With `synchronous`, the store does
 * its work inside the call (the in-process store): the time is taken before the promise is awaited,
 * so that other microtasks do not count.
 */
export function instrumentPushes(store: PushTarget, postedAt: (tweetId: bigint) => number, synchronous: boolean): { stats: () => PushStats; reset(): void; delivered(count: number, postedAtMs: number): void } {
  let stats = fresh();
  function fresh(): PushStats {
    return { deliveries: 0, calls: 0, ownPushes: 0, storeMs: 0, firstAt: 0, lastAt: 0, latency: new LatencyHistogram(), completedAt: new Map() };
  }
  const original = store.push.bind(store);
  store.push = async (userIds, entry) => {
    const t0 = performance.now();
    const pending = original(userIds, entry);
    if (synchronous) stats.storeMs += performance.now() - t0;
    await pending;
    if (!synchronous) stats.storeMs += performance.now() - t0;
    const now = Date.now();
    if (userIds.length === 1 && userIds[0] === entry.authorId) {
      // The posting request's read-your-writes push (fan-out always sends followers along with the author).
      stats.ownPushes++;
      return;
    }
    if (stats.firstAt === 0) stats.firstAt = now;
    stats.lastAt = now;
    stats.calls++;
    stats.deliveries += userIds.length;
    stats.latency.add(now - postedAt(entry.tweetId), userIds.length);
    stats.completedAt.set(entry.tweetId, now);
  };
  return {
    stats: () => stats,
    reset() {
      stats = fresh();
    },
    /** A delivery the feed made inline (the in-process store, not through `push`): the feed's own report. */
    delivered(count, postedAtMs) {
      const now = Date.now();
      if (stats.firstAt === 0) stats.firstAt = now;
      stats.lastAt = now;
      stats.calls++;
      stats.deliveries += count;
      stats.latency.add(now - postedAtMs, count);
    },
  };
}

// ---------------------------------------------------------------- CPU profile

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const SQLITE_NATIVES = new Set(['all', 'run', 'get', 'iterate', 'exec', 'pragma', 'prepare']);
const SQLITE_STATEMENTS = 'SQLite: feed, accounts and outbox statements, commits';
const SQLITE_QUEUE = 'SQLite queue: claims, acks, publishes, commits';

/** What a piece of JavaScript is, by where it lives. */
export function codeCategory(functionName: string, url: string): string {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(idle)') return 'idle (waiting for I/O or timers)';
  if (functionName === '(program)' || functionName === '(root)') return 'V8/native, unattributed';
  // Time in a native statement call is sampled partly in its JS caller: these are SQLite.
  if (url.includes('/kysely/') && url.includes('/dialect/sqlite/')) return SQLITE_STATEMENTS;
  if (url.includes('/bench/feed/instrument') && ['all', 'run', 'get'].includes(functionName)) return SQLITE_STATEMENTS;
  if (url.includes('/src/platform/queue/')) return SQLITE_QUEUE;
  if (url.includes('/kysely/')) return 'Kysely (query building, compiling, results)';
  if (url.includes('/src/platform/outbox/')) return 'outbox relay (JS)';
  if (url.includes('/src/platform/timelines/')) return 'timeline store (push, range)';
  if (url.includes('/src/platform/sql/') || url.includes('/better-sqlite3/')) return 'SQL adapter (statement cache, group commit)';
  if (url.includes('/src/modules/feed/')) return 'feed module (JS)';
  if (url.includes('/src/modules/accounts/') || url.includes('/jose/') || url.startsWith('node:internal/crypto')) return 'authentication (JWT verify)';
  if (url.includes('/bench/') || url.startsWith('node:inspector') || url.startsWith('node:internal/child_process')) return 'benchmark instruments (profiler, IPC)';
  if (url.includes('/src/')) return 'other Blueprint code';
  if (/\/(fastify|find-my-way|light-my-request|avvio|fast-json-stringify|@fastify|fast-querystring|secure-json-parse|ajv|fast-uri|pino|prom-client|helmet)\//.test(url)) return 'HTTP framework, logging, metrics';
  if (url.startsWith('node:')) return 'Node.js internals (sockets, HTTP parser, streams, promises)';
  return 'other dependencies';
}

/** Self time per category, in ms, from a V8 CPU profile. Native frames count as their caller's, SQLite calls by who made them. */
export function summarizeProfile(profile: Profile): { totalMs: number; byCategory: Map<string, number> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const category = new Map<number, string>();
  const categoryOf = (id: number): string => {
    const known = category.get(id);
    if (known !== undefined) return known;
    const { functionName, url } = byId.get(id)!.callFrame;
    let c: string;
    const up = parent.get(id);
    if (url !== '' || up === undefined || functionName.startsWith('(')) {
      c = codeCategory(functionName, url);
    } else if (SQLITE_NATIVES.has(functionName)) {
      c = SQLITE_STATEMENTS;
      for (let a: number | undefined = up; a !== undefined; a = parent.get(a)) {
        if (byId.get(a)!.callFrame.url.includes('/src/platform/queue/')) {
          c = SQLITE_QUEUE;
          break;
        }
      }
    } else {
      c = categoryOf(up);
    }
    category.set(id, c);
    return c;
  };
  const byCategory = new Map<string, number>();
  let totalMs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    totalMs += ms;
    const c = byId.has(profile.samples[i]!) ? categoryOf(profile.samples[i]!) : 'unknown';
    byCategory.set(c, (byCategory.get(c) ?? 0) + ms);
  }
  return { totalMs, byCategory };
}

/** The sampling profiler of this thread. */
export class CpuProfiler {
  readonly #session = new Session();

  constructor() {
    this.#session.connect();
  }

  #post<T>(method: string, params?: object): Promise<T> {
    return new Promise((resolve, reject) => this.#session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))));
  }

  async start(intervalUs = 1_000): Promise<void> {
    await this.#post('Profiler.enable');
    await this.#post('Profiler.setSamplingInterval', { interval: intervalUs });
    await this.#post('Profiler.start');
  }

  async stop(): Promise<{ totalMs: number; byCategory: Map<string, number> }> {
    const { profile } = await this.#post<{ profile: Profile }>('Profiler.stop');
    await this.#post('Profiler.disable');
    if (process.env.BENCH_PROFILE_DIR) writeFileSync(`${process.env.BENCH_PROFILE_DIR}/${Date.now()}.cpuprofile`, JSON.stringify(profile));
    return summarizeProfile(profile);
  }
}
