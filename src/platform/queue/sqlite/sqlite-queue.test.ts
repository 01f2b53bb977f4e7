import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock/clock.port.js';
import { openSqlite } from '../../sql/sqlite/sqlite-database.js';
import { gate, runQueueContract, sleep, waitFor } from '../queue.contract.js';
import type { QueueMessage } from '../queue.port.js';
import { fullJitterBackoff, SqliteQueue, type SqliteQueueOptions } from './sqlite-queue.js';
import { QueueStore, type ClaimedRow } from './sqlite-queue.store.js';
import { CLAIMABLE_SQL, INSERT_SQL, LIST_DEAD_SQL, PEEK_SQL, QUEUE_SCHEMA } from './sqlite-queue.schema.js';

let dir = '';
const queues: SqliteQueue[] = [];

function freshDir(): void {
  dir = mkdtempSync(join(tmpdir(), 'blueprint-queue-'));
}

async function cleanUp(): Promise<void> {
  await Promise.allSettled(queues.splice(0).map((q) => q.close({ timeoutMs: 0 })));
  rmSync(dir, { recursive: true, force: true });
}

function queueFile(): string {
  return join(dir, 'queue.db');
}

function openQueue(options: Partial<SqliteQueueOptions> = {}): SqliteQueue {
  const queue = new SqliteQueue({ filename: queueFile(), pollIntervalMs: 10, closeTimeoutMs: 1000, ...options });
  queues.push(queue);
  return queue;
}

runQueueContract('SqliteQueue', {
  // Jitter drawn from the upper half so the suite can assert a minimum delay: first retry 50-100 ms.
  settings: { maxAttempts: 3, minRetryDelayMs: 50 },
  reset: async () => freshDir(),
  open: async () =>
    openQueue({
      pollIntervalMs: 20,
      visibilityTimeoutMs: 500,
      maxAttempts: 3,
      backoff: { baseMs: 100 },
      random: () => 0.5 + Math.random() / 2,
    }),
  crash: (queue) => (queue as SqliteQueue).close({ timeoutMs: 0 }),
  dispose: cleanUp,
});

describe('SqliteQueue (SQLite specifics)', () => {
  beforeEach(freshDir);
  afterEach(cleanUp);
  const topic = 'jobs';

  it('opens a queue file made before messages carried a traceparent, keeping its messages', async () => {
    const old = openSqlite({ filename: queueFile() });
    old.exec(`CREATE TABLE queue_messages (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, key TEXT, payload TEXT NOT NULL,
      published_at INTEGER NOT NULL, available_at INTEGER NOT NULL, is_head INTEGER NOT NULL, leased INTEGER NOT NULL DEFAULT 0,
      attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT) STRICT`);
    old.prepare('INSERT INTO queue_messages (topic, key, payload, published_at, available_at, is_head) VALUES (?, NULL, ?, 1, 1, 1)').run('t', '{"n":1}');
    old.close();
    const queue = openQueue();
    const got: QueueMessage[] = [];
    queue.consume('t', async (m) => void got.push(m));
    await queue.publish('t', [{ payload: { n: 2 }, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }]);
    await waitFor('both messages', () => got.length === 2);
    expect(got.map((m) => [m.payload, m.traceparent])).toEqual([
      [{ n: 1 }, null],
      [{ n: 2 }, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ]);
  });

  it('computes full-jitter backoff within [0, min(cap, base * 2^(attempt-1))]', () => {
    expect(fullJitterBackoff(1, 500, 300_000, () => 0)).toBe(0);
    expect(fullJitterBackoff(1, 500, 300_000, () => 0.9999999)).toBe(500);
    expect(fullJitterBackoff(3, 500, 300_000, () => 0.5)).toBe(1000);
    expect(fullJitterBackoff(40, 500, 300_000, () => 0.9999999)).toBe(300_000);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, base, cap, r) => {
          const delay = fullJitterBackoff(attempt, base, cap, () => r);
          const ceiling = base === 0 ? 0 : Math.min(cap, base * 2 ** (attempt - 1));
          return Number.isInteger(delay) && delay >= 0 && delay <= ceiling;
        },
      ),
    );
  });

  it('schedules a retry at now + backoff(attempt), per the injected clock and random', async () => {
    const clock = new ManualClock();
    const queue = openQueue({ clock, backoff: { baseMs: 1000 }, random: () => 0.5 });
    const failures: number[] = [];
    const sub = queue.consume(topic, async (m) => {
      failures.push(m.attempt);
      throw new Error('again');
    });
    await queue.publish(topic, [{ payload: 1 }]);
    await waitFor('the failure', () => failures.length === 1);
    await sub.stop();
    clock.advance(499);
    expect(await queue.stats(topic)).toMatchObject({ ready: 0, delayed: 1, inFlight: 0, oldestAgeMs: 499 });
    clock.advance(1);
    expect(await queue.stats(topic)).toMatchObject({ ready: 1, delayed: 0, inFlight: 0 });
  });

  it('ignores a late ack once the lease was taken over, keeping the key blocked until the new delivery acks', async () => {
    const clock = new ManualClock();
    const a = openQueue({ clock, visibilityTimeoutMs: 1000 });
    const b = openQueue({ clock, visibilityTimeoutMs: 1000 });
    const holdA = gate();
    const holdB = gate();
    const seenA: QueueMessage[] = [];
    const seenB: QueueMessage[] = [];
    const subA = a.consume(topic, async (m) => {
      seenA.push(m);
      await holdA.promise;
    });
    await a.publish(topic, [
      { key: 'k', payload: 1 },
      { key: 'k', payload: 2 },
    ]);
    await waitFor('the first delivery', () => seenA.length === 1);
    clock.advance(1001);
    b.consume(topic, async (m) => {
      seenB.push(m);
      await holdB.promise;
    });
    await waitFor('the redelivery', () => seenB.length === 1);
    expect(seenB[0]).toMatchObject({ id: seenA[0]?.id, attempt: 2, payload: 1 });

    holdA.open();
    await subA.stop();
    // Message 2 is "ready" by time but still behind message 1, which the late ack did not delete.
    expect(await b.stats(topic)).toMatchObject({ ready: 1, inFlight: 1 });
    await sleep(50);
    expect(seenB).toHaveLength(1);
    holdB.open();
    await waitFor('message 2', () => seenB.length === 2);
    expect(seenB[1]).toMatchObject({ attempt: 1, payload: 2 });
  });

  it('accepts a late ack when the expired lease was not taken over', async () => {
    const clock = new ManualClock();
    const queue = openQueue({ clock, visibilityTimeoutMs: 1000 });
    const hold = gate();
    let deliveries = 0;
    const sub = queue.consume(topic, async () => {
      deliveries++;
      await hold.promise;
    });
    await queue.publish(topic, [{ payload: 1 }]);
    await waitFor('the delivery', () => deliveries === 1);
    clock.advance(5000);
    hold.open();
    await sub.stop();
    expect(await queue.stats(topic)).toEqual({ ready: 0, inFlight: 0, delayed: 0, deadLettered: 0, oldestAgeMs: 0 });
    expect(deliveries).toBe(1);
  });

  it('dead-letters a message whose leases keep expiring (it kills or hangs its consumers)', async () => {
    const clock = new ManualClock();
    const queue = openQueue({ clock, visibilityTimeoutMs: 1000, maxAttempts: 2 });
    const attempts: number[] = [];
    queue.consume(
      topic,
      (m) => {
        attempts.push(m.attempt);
        return new Promise<void>(() => {});
      },
      { concurrency: 5 },
    );
    await queue.publish(topic, [{ payload: 'poison' }]);
    await waitFor('attempt 1', () => attempts.length === 1);
    clock.advance(1001);
    await waitFor('attempt 2', () => attempts.length === 2);
    clock.advance(1001);
    await waitFor('the dead letter', async () => (await queue.stats(topic)).deadLettered === 1);
    expect(attempts).toEqual([1, 2]);
    const [dead] = await queue.listDeadLetters(topic);
    expect(dead).toMatchObject({ attempts: 2, payload: 'poison', lastError: expect.stringMatching(/visibility timeout/) });
  });

  it('stores only the error message, truncated to 1000 characters', async () => {
    const queue = openQueue({ maxAttempts: 1 });
    queue.consume<number>(topic, async (m) => {
      if (m.payload === 1) throw new Error('x'.repeat(5000));
      throw 'a thrown string'; // what careless handlers do
    });
    await queue.publish(topic, [{ payload: 1 }, { payload: 2 }]);
    await waitFor('two dead letters', async () => (await queue.stats(topic)).deadLettered === 2);
    const dead = await queue.listDeadLetters<number>(topic);
    expect(dead.map((d) => d.lastError)).toEqual(['x'.repeat(1000), 'a thrown string']);
  });

  it('publishes a batch atomically and rejects payloads that are not JSON', async () => {
    const queue = openQueue();
    const raw = openSqlite({ filename: queueFile() });
    raw.exec(`CREATE TRIGGER refuse BEFORE INSERT ON queue_messages WHEN NEW.payload = '"refuse"'
              BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    raw.close();
    await expect(queue.publish(topic, [{ payload: 'ok' }, { payload: 'refuse' }])).rejects.toThrow(/refused/);
    await expect(queue.publish(topic, [{ payload: 'ok' }, { payload: undefined }])).rejects.toThrow(/JSON/);
    await expect(queue.publish(topic, [{ payload: 10n }])).rejects.toThrow(TypeError);
    expect(await queue.stats(topic)).toMatchObject({ ready: 0 });
  });

  it('with synchronous full, a publish resolves after a sync of the log made off the thread (none with normal)', async () => {
    const full = openQueue({ synchronous: 'full' });
    await full.publish(topic, [{ payload: 1 }, { payload: 2 }]);
    expect(full.syncs).toBe(1);
    await Promise.all([full.publish(topic, [{ payload: 3 }]), full.publish(topic, [{ payload: 4 }])]);
    expect(full.syncs).toBeGreaterThanOrEqual(2);
    expect(full.syncs).toBeLessThanOrEqual(3);
    const got: unknown[] = [];
    full.consume(topic, async (m) => void got.push(m.payload));
    await waitFor('four messages', () => got.length === 4);
    expect(got.sort()).toEqual([1, 2, 3, 4]);
    await full.close();
    const normal = openQueue({ synchronous: 'normal' });
    await normal.publish(topic, [{ payload: 5 }]);
    expect(normal.syncs).toBe(0);
  });

  it('round-trips a 100 KB payload', async () => {
    const queue = openQueue();
    const payload = { items: Array.from({ length: 2500 }, (_, i) => ({ i, text: 'lorem ipsum dolor sit' })) };
    expect(JSON.stringify(payload).length).toBeGreaterThan(100_000);
    await queue.publish(topic, [{ payload }]);
    let got: unknown;
    queue.consume(topic, async (m) => void (got = m.payload));
    await waitFor('the payload', () => got !== undefined);
    expect(got).toEqual(payload);
  });

  it('refuses use after close', async () => {
    const queue = openQueue();
    await queue.close();
    await expect(queue.publish(topic, [{ payload: 1 }])).rejects.toThrow(/closed/);
    await expect(queue.stats(topic)).rejects.toThrow(/closed/);
    await expect(queue.ping()).rejects.toThrow(/closed/);
    expect(() => queue.consume(topic, async () => {})).toThrow(/closed/);
  });

  it('reports storage errors to onError and keeps polling until the storage is back', async () => {
    const errors: unknown[] = [];
    const queue = openQueue({ onError: (error) => errors.push(error) });
    const got: unknown[] = [];
    queue.consume(topic, async (m) => void got.push(m.payload));
    const raw = openSqlite({ filename: queueFile() });
    raw.exec('DROP TABLE queue_messages');
    await waitFor('a reported error', () => errors.length > 0);
    expect(String(errors[0])).toMatch(/no such table/);
    raw.exec(QUEUE_SCHEMA);
    raw.close();
    await queue.publish(topic, [{ payload: 'after' }]);
    await waitFor('delivery after recovery', () => got.length === 1);
    expect(got).toEqual(['after']);
  });

  it('keeps exactly one head per key, the oldest, through any mix of operations', () => {
    type Op =
      | { op: 'publish'; keys: (string | null)[] }
      | { op: 'claim'; limit: number }
      | { op: 'ack' | 'retry' | 'dead'; index: number; delayMs: number }
      | { op: 'advance'; ms: number }
      | { op: 'replay'; all: boolean };
    const key = fc.constantFrom<string | null>('a', 'b', 'c', null);
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant('publish' as const), keys: fc.array(key, { minLength: 1, maxLength: 4 }) }),
      fc.record({ op: fc.constant('claim' as const), limit: fc.integer({ min: 1, max: 4 }) }),
      fc.record({
        op: fc.constantFrom('ack' as const, 'retry' as const, 'dead' as const),
        index: fc.nat(),
        delayMs: fc.integer({ min: 0, max: 2000 }),
      }),
      fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3000 }) }),
      fc.record({ op: fc.constant('replay' as const), all: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const db = openSqlite({ filename: ':memory:' });
        const clock = new ManualClock();
        const store = new QueueStore(db, clock, 1000);
        const held: ClaimedRow[] = [];
        const rows = db.prepare('SELECT key, id, is_head AS isHead FROM queue_messages WHERE topic = ? ORDER BY id');
        try {
          for (const step of ops) {
            if (step.op === 'publish') store.insert('t', step.keys.map((k) => ({ key: k, payload: '0', traceparent: null })));
            else if (step.op === 'claim') held.push(...store.claim('t', step.limit, 3).delivered);
            else if (step.op === 'advance') clock.advance(step.ms);
            else if (step.op === 'replay') {
              const [first] = store.listDeadLetters('t', 1, 0);
              store.replay('t', step.all ? undefined : first ? [Number(first.id)] : []);
            } else if (held.length > 0) {
              const [lease] = held.splice(step.index % held.length, 1);
              if (!lease) continue;
              if (step.op === 'ack') store.ack(lease);
              else if (step.op === 'retry') store.release(lease, step.delayMs, 'e');
              else store.deadLetter(lease, 'e');
            }
            const seen = new Set<string>();
            for (const row of rows.all('t') as { key: string | null; id: number; isHead: number }[]) {
              const expected = row.key === null || !seen.has(row.key) ? 1 : 0;
              if (row.key !== null) seen.add(row.key);
              if (row.isHead !== expected) return false;
            }
          }
          return true;
        } finally {
          db.close();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('claims and lists through indexes (no table scan, no sort), with and without ANALYZE statistics', () => {
    const db = openSqlite({ filename: ':memory:' });
    db.exec(QUEUE_SCHEMA);
    const plan = (sql: string): string[] =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ topic: 't', now: 1, limit: 8, after: 0 }) as { detail: string }[]).map(
        (row) => row.detail,
      );
    const check = (): void => {
      for (const sql of [CLAIMABLE_SQL, PEEK_SQL]) {
        const details = plan(sql);
        expect(details).toContain('SEARCH m USING INDEX queue_messages_claim (topic=? AND available_at<?)');
        expect(details).toContain('SEARCH p USING COVERING INDEX queue_messages_key_order (topic=? AND key=? AND id<?)');
        expect(details.filter((d) => /^SCAN|TEMP B-TREE/.test(d))).toEqual([]);
      }
      expect(plan(LIST_DEAD_SQL).join('\n')).toMatch(/USING INDEX queue_dead_letters_topic/);
    };
    check();
    const insert = db.prepare(INSERT_SQL);
    db.transaction(() => {
      for (let i = 0; i < 5000; i++) insert.run({ topic: `t${i % 4}`, key: i % 3 ? `k${i % 40}` : null, payload: '{}', now: i, traceparent: null });
    })();
    db.exec('ANALYZE');
    check();
    db.close();
  });
});

describe('SqliteQueue across OS processes', () => {
  beforeEach(freshDir);
  afterEach(cleanUp);
  const topic = 'jobs';
  const modulePath = fileURLToPath(new URL('./sqlite-queue.ts', import.meta.url));

  // The child consumes, printing one JSON line per delivery; it closes the queue when stdin ends.
  const CHILD = `
    const { pathToFileURL } = await import('node:url');
    const { SqliteQueue } = await import(pathToFileURL(process.env.QUEUE_MODULE).href);
    const queue = new SqliteQueue({
      filename: process.env.QUEUE_FILE, pollIntervalMs: 10, visibilityTimeoutMs: Number(process.env.VISIBILITY_MS),
    });
    const out = (line) => process.stdout.write(JSON.stringify(line) + '\\n');
    queue.consume(process.env.TOPIC, async (m) => {
      out({ id: m.id, n: m.payload.n, attempt: m.attempt });
      if (process.env.MODE === 'hang') return new Promise(() => {});
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
    }, { concurrency: 4 });
    out({ ready: true });
    if (process.env.MODE !== 'idle') {
      process.stdin.on('end', () => queue.close().then(() => process.exit(0)));
      process.stdin.resume();
    }`;

  interface Delivery {
    id: string;
    n: number;
    attempt: number;
  }

  function child(mode: 'work' | 'hang' | 'idle', visibilityMs = 10_000) {
    const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
      env: { ...process.env, QUEUE_MODULE: modulePath, QUEUE_FILE: queueFile(), TOPIC: topic, MODE: mode, VISIBILITY_MS: String(visibilityMs) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const deliveries: Delivery[] = [];
    let ready = false;
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const parsed = JSON.parse(line) as Delivery | { ready: true };
      if ('ready' in parsed) ready = true;
      else deliveries.push(parsed);
    });
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    return {
      proc,
      deliveries,
      exited,
      isReady: () => ready,
      stderr: () => stderr,
    };
  }

  it('two processes compete on one file and never handle a message twice', async () => {
    const parent = openQueue();
    const workers = [child('work'), child('work')];
    try {
      await waitFor('both children to start', () => workers.every((w) => w.isReady() || w.proc.exitCode !== null), {
        timeoutMs: 15_000,
      });
      for (const w of workers) expect(w.proc.exitCode, w.stderr()).toBeNull();
      await parent.publish(topic, Array.from({ length: 400 }, (_, n) => ({ payload: { n } })));
      await waitFor('400 deliveries', () => workers.reduce((sum, w) => sum + w.deliveries.length, 0) >= 400, {
        timeoutMs: 15_000,
      });
      await waitFor('every ack', async () => {
        const stats = await parent.stats(topic);
        return stats.ready + stats.inFlight === 0;
      });
      const all = workers.flatMap((w) => w.deliveries);
      expect(all).toHaveLength(400);
      expect(new Set(all.map((d) => d.n)).size).toBe(400);
      for (const w of workers) expect(w.deliveries.length).toBeGreaterThan(0);
      for (const w of workers) w.proc.stdin.end();
      expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
    } finally {
      for (const w of workers) if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
    }
  });

  it('redelivers what a SIGKILLed process held, once its lease expires', async () => {
    const parent = openQueue();
    const doomed = child('hang', 300);
    try {
      await waitFor('the child to start', () => doomed.isReady() || doomed.proc.exitCode !== null, { timeoutMs: 15_000 });
      await parent.publish(topic, [{ key: 'k', payload: { n: 1 } }]);
      await waitFor('the child to take the message', () => doomed.deliveries.length === 1);
      doomed.proc.kill('SIGKILL');
      await doomed.exited;
      const got: QueueMessage[] = [];
      parent.consume(topic, async (m) => void got.push(m));
      await waitFor('the redelivery', () => got.length === 1);
      expect(got[0]).toMatchObject({ id: doomed.deliveries[0]?.id, attempt: 2, key: 'k', payload: { n: 1 } });
    } finally {
      if (doomed.proc.exitCode === null) doomed.proc.kill('SIGKILL');
    }
  });

  it('does not keep an idle process alive', async () => {
    const idle = child('idle');
    try {
      const giveUp = new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 15_000).unref());
      expect(await Promise.race([idle.exited, giveUp]), idle.stderr()).toBe(0);
      expect(idle.isReady()).toBe(true);
    } finally {
      if (idle.proc.exitCode === null) idle.proc.kill('SIGKILL');
    }
  });
});
