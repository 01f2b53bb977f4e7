import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { tablesOf } from '../../../platform/sql/index.js';
import { decodeBase62 } from './base62.js';
import { CounterKeyGenerator } from './counter.keygen.js';
import type { KeygenTables } from './keygen.tables.js';
import { Scrambler } from './scramble.js';
import { allLinks, allocateAll, createKeygenTestDb, type KeygenTestDb } from './testing/keygen-fixture.js';
import { describeEachDialect } from '../../../platform/sql/testing/test-databases.js';

const CHILD = fileURLToPath(new URL('./testing/counter.keygen.child.ts', import.meta.url));

/** A running child leasing from the shared file; `go()` releases it once it reported ready. */
interface Child {
  ready: Promise<void>;
  go(): void;
  values: Promise<number[]>;
}

function spawnChild(file: string, count: number, blockSize: number): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, String(count), String(blockSize)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // Bounded: a stuck child fails the test instead of hanging it. Starting (tsx compiling the child)
  // is bounded apart from the work: on a loaded machine it alone took seconds.
  let killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  let out = '';
  let err = '';
  let signalReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (signalReady = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (out.startsWith('ready\n')) signalReady();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const values = new Promise<number[]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      if (code !== 0) return reject(new Error(`child exited with ${code ?? signal}: ${err}`));
      resolve(JSON.parse(out.slice('ready\n'.length)) as number[]);
    });
  });
  // A child that dies before reporting ready must not leave the test waiting on `ready`.
  const go = () => {
    clearTimeout(killer);
    killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdin.end('go\n');
  };
  return { ready: Promise.race([ready, values.then(() => {})]), go, values };
}

describeEachDialect('CounterKeyGenerator', (dialect) => {
  let testDb: KeygenTestDb;
  beforeEach(async () => {
    testDb = await createKeygenTestDb(dialect);
  });
  afterEach(async () => {
    await testDb.cleanup();
  });

  it('counts from 1 in base62', async () => {
    const generator = new CounterKeyGenerator(testDb.open(), { blockSize: 5 });
    const codes: string[] = [];
    for (let i = 0; i < 64; i++) codes.push(await generator.next());
    expect(codes.slice(0, 11)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b']);
    expect(codes[60]).toBe('Z');
    expect(codes[61]).toBe('10');
  });

  it('shares one lease among concurrent calls of one instance', async () => {
    const sql = testDb.open();
    const generator = new CounterKeyGenerator(sql, { blockSize: 100 });
    const values = await Promise.all(Array.from({ length: 250 }, () => generator.nextValue()));
    expect(new Set(values).size).toBe(250);
    expect(values.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    // Three blocks leased, not one per waiting caller.
    const row = await tablesOf<KeygenTables>(sql).db.selectFrom('keygen_counters').selectAll().executeTakeFirstOrThrow();
    expect(Number(row.next_value)).toBe(301);
  });

  it('starts the next instance after the blocks earlier ones leased (gaps are fine)', async () => {
    const first = new CounterKeyGenerator(testDb.open(), { blockSize: 10 });
    expect(await first.nextValue()).toBe(1n);
    const second = new CounterKeyGenerator(testDb.open(), { blockSize: 10 });
    expect(await second.nextValue()).toBe(11n);
    expect(await first.nextValue()).toBe(2n);
  });

  it('keeps 2,000 concurrent allocations over 4 connections unique', async () => {
    const workers = Array.from({ length: 4 }, () => {
      const sql = testDb.open();
      return { sql, generator: new CounterKeyGenerator(sql, { blockSize: 7 }) };
    });
    const urls = Array.from({ length: 2000 }, (_, i) => `https://example.com/${i}`);
    const codes = await allocateAll(workers, urls);
    expect(new Set(codes).size).toBe(2000);
    const rows = await allLinks(testDb.open());
    expect(rows).toHaveLength(2000);
    expect(new Set(rows.map((r) => r.code))).toEqual(new Set(codes));
  });

  it('never gives two OS processes the same value', async () => {
    // On PostgreSQL each one-value lease is a commit and a WAL flush (~3 ms here): fewer, well within the children's bound.
    const count = dialect.name === 'sqlite' ? 1000 : 200;
    const blockSize = 1;
    const children = [spawnChild(testDb.address, count, blockSize), spawnChild(testDb.address, count, blockSize)];
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.go();
    const [a, b] = (await Promise.all(children.map((c) => c.values))) as [number[], number[]];
    expect(a).toHaveLength(count);
    expect(b).toHaveLength(count);
    // Whole blocks were consumed, so together the two hold exactly 1..2·count, each value once.
    const all = [...a, ...b].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 2 * count }, (_, i) => i + 1));
    // The leases really raced: the blocks of the two processes interleave in the sequence.
    const owner = new Map<number, 'a' | 'b'>([...a.map((v) => [v, 'a'] as const), ...b.map((v) => [v, 'b'] as const)]);
    let switches = 0;
    for (let v = 2; v <= 2 * count; v++) if (owner.get(v) !== owner.get(v - 1)) switches++;
    expect(switches).toBeGreaterThan(1);
  }, 45_000);

  it('scrambles into 7-character, distinct, non-monotonic codes', async () => {
    const scrambler = new Scrambler('counter-secret');
    const generator = new CounterKeyGenerator(testDb.open(), { scrambler, blockSize: 500 });
    const codes: string[] = [];
    for (let i = 0; i < 2000; i++) codes.push(await generator.next());
    expect(codes.every((c) => c.length === 7)).toBe(true);
    expect(new Set(codes).size).toBe(2000);
    const values = codes.map((c) => scrambler.decode(decodeBase62(c)));
    expect(values).toEqual(Array.from({ length: 2000 }, (_, i) => BigInt(i + 1)));
    const ups = codes.slice(1).filter((c, i) => decodeBase62(c) > decodeBase62(codes[i] as string)).length;
    expect(ups).toBeGreaterThan(600);
    expect(ups).toBeLessThan(1400);
  });

  it('rejects a useless block size', () => {
    expect(() => new CounterKeyGenerator(testDb.open(), { blockSize: 0 })).toThrow(RangeError);
  });
});
