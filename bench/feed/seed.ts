/**
 * Seeds the synthetic graph straight into a Blueprint database (migrations already applied):
 * accounts `users` rows (one shared password hash), `follows` in primary-key order through
 * multi-row prepared inserts in large transactions, the followee index rebuilt once at the end
 * (same definition as the migration's), `feed_users` with exact counts and every user marked
 * as having read recently (fan-out skips inactive readers), and a few earlier tweets per user (a
 * history that fills home timelines, fanned out: `pushed` = 1; `markPulled` adapts it to a threshold).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { snowflakeTime } from '../../src/platform/ids/index.js';
import { forEachFollower, type GraphOptions } from './graph.js';

/** User ids are BASE + index: small decimal ids that the accounts and feed modules both accept. */
export const USER_ID_BASE = 1_000_000;
export const userId = (index: number) => USER_ID_BASE + index;
export const usernameOf = (index: number) => `user${index}`;

export interface SeedResult {
  follows: number;
  /** Earlier tweets, `history` per user, so that home timelines start full. */
  history: number;
  /**
   * Who follows whom, by user index, for the server to build home timelines without scanning the
   * table: `followees.subarray(offsets[v], offsets[v + 1])` are v's followees, ascending.
   */
  offsets: Int32Array;
  followees: Int32Array;
  /** Followers per user index. */
  followers: Int32Array;
  following: Int32Array;
  seconds: { users: number; follows: number; index: number; counts: number };
}

const ROWS_PER_STATEMENT = 500;
const ROWS_PER_TRANSACTION = 1_000_000;

export function seedGraph(raw: Database, graph: GraphOptions, options: { passwordHash: string; now: number; /** Earlier tweets per user. */ history: number; /** Snowflake ids, increasing, for them. */ historyIds: () => bigint; progress: (line: string) => void }): SeedResult {
  const { now, progress } = options;
  const n = graph.users;
  raw.pragma('synchronous = OFF');
  raw.pragma('cache_size = -262144');
  const t0 = performance.now();

  const insertUser = raw.prepare('insert into users (id, username, email, password_hash, created_at) values (?, ?, ?, ?, ?)');
  raw.transaction(() => {
    for (let i = 0; i < n; i++) insertUser.run(String(userId(i)), usernameOf(i), `${usernameOf(i)}@example.com`, options.passwordHash, now);
  })();
  const t1 = performance.now();

  raw.exec('drop index if exists follows_followee_idx');
  const values = Array.from({ length: ROWS_PER_STATEMENT }, () => `(?, ?, ${now})`).join(', ');
  const insertMany = raw.prepare(`insert into follows (follower_id, followee_id, created_at) values ${values}`);
  const insertOne = raw.prepare(`insert into follows (follower_id, followee_id, created_at) values (?, ?, ${now})`);
  const followers = new Int32Array(n);
  const offsets = new Int32Array(n + 1);
  let followees = new Int32Array(n * Math.ceil(graph.mean * 1.5));
  const following = new Int32Array(n);
  const params: number[] = new Array<number>(ROWS_PER_STATEMENT * 2);
  let buffered = 0;
  let total = 0;
  let inTransaction = 0;
  let lastReport = performance.now();
  raw.exec('begin');
  forEachFollower(graph, (v, list) => {
    const follower = userId(v);
    following[v] = list.length;
    if (offsets[v]! + list.length > followees.length) {
      const grown = new Int32Array(followees.length * 2);
      grown.set(followees);
      followees = grown;
    }
    followees.set(list, offsets[v]);
    offsets[v + 1] = offsets[v]! + list.length;
    for (let k = 0; k < list.length; k++) {
      const u = list[k]!;
      followers[u]!++;
      params[buffered * 2] = follower;
      params[buffered * 2 + 1] = userId(u);
      if (++buffered === ROWS_PER_STATEMENT) {
        insertMany.run(params);
        buffered = 0;
      }
    }
    total += list.length;
    inTransaction += list.length;
    if (inTransaction >= ROWS_PER_TRANSACTION) {
      for (let i = 0; i < buffered; i++) insertOne.run(params[i * 2], params[i * 2 + 1]);
      buffered = 0;
      raw.exec('commit');
      raw.exec('begin');
      inTransaction = 0;
      if (performance.now() - lastReport > 5_000) {
        lastReport = performance.now();
        progress(`  follows: ${(total / 1e6).toFixed(1)}M rows, users ${v + 1}/${n}, ${((performance.now() - t1) / 1000).toFixed(0)} s`);
      }
    }
  });
  for (let i = 0; i < buffered; i++) insertOne.run(params[i * 2], params[i * 2 + 1]);
  raw.exec('commit');
  const t2 = performance.now();
  progress(`  follows: ${(total / 1e6).toFixed(1)}M rows in ${((t2 - t1) / 1000).toFixed(1)} s; building the followee index...`);

  // The migration's index, built once over the loaded table (a sort) instead of row by row.
  raw.exec('create index follows_followee_idx on follows (followee_id, follower_id)');
  const t3 = performance.now();

  const insertCounts = raw.prepare('insert into feed_users (user_id, followers, following, tweets, last_read_at, pulled) values (?, ?, ?, ?, ?, 0)');
  raw.transaction(() => {
    for (let i = 0; i < n; i++) insertCounts.run(userId(i), followers[i], following[i], options.history, now);
  })();
  // In rounds (every user once, then again...): the newest tweets of any set of authors are the last round's.
  const insertTweet = raw.prepare('insert into tweets (id, author_id, author_username, text, reply_to, pushed, created_at) values (?, ?, ?, ?, null, 1, ?)');
  for (let round = 0; round < options.history; round++) {
    raw.transaction(() => {
      for (let i = 0; i < n; i++) {
        const id = options.historyIds();
        insertTweet.run(id, userId(i), usernameOf(i), `Earlier tweet ${round} by ${usernameOf(i)}`, snowflakeTime(id));
      }
    })();
  }
  raw.pragma('wal_checkpoint(TRUNCATE)');
  raw.pragma('synchronous = NORMAL');
  const t4 = performance.now();
  return { follows: total, history: n * options.history, offsets, followees: followees.subarray(0, total), followers, following, seconds: { users: (t1 - t0) / 1000, follows: (t2 - t1) / 1000, index: (t3 - t2) / 1000, counts: (t4 - t3) / 1000 } };
}

/**
 * Makes a seeded database look as if it had always run with `threshold`: the history tweets of
 * authors with more followers were not fanned out, and those authors are pulled at read time.
 */
export function markPulled(raw: Database, threshold: number): number {
  raw.prepare('update tweets set pushed = 0 where author_id in (select user_id from feed_users where followers > ?)').run(threshold);
  return raw.prepare('update feed_users set pulled = 1 where followers > ?').run(threshold).changes;
}

/** Writes the follow lists for the server: n, then the n + 1 offsets, then the followees (int32, little-endian). */
export function writeFollowLists(file: string, seed: Pick<SeedResult, 'offsets' | 'followees'>): void {
  const n = seed.offsets.length - 1;
  const out = Buffer.alloc(4 * (1 + n + 1 + seed.followees.length));
  out.writeInt32LE(n, 0);
  Buffer.from(seed.offsets.buffer, seed.offsets.byteOffset, seed.offsets.byteLength).copy(out, 4);
  Buffer.from(seed.followees.buffer, seed.followees.byteOffset, seed.followees.byteLength).copy(out, 4 * (n + 2));
  writeFileSync(file, out);
}

/** Reads what writeFollowLists wrote. */
export function readFollowLists(file: string): { offsets: Int32Array; followees: Int32Array } {
  const data = readFileSync(file);
  // A copy on an aligned buffer: Int32Array views need 4-byte alignment.
  const ints = new Int32Array(data.byteLength / 4);
  Buffer.from(ints.buffer).set(data);
  const n = ints[0]!;
  return { offsets: ints.subarray(1, n + 2), followees: ints.subarray(n + 2) };
}
